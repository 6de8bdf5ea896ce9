// ranking: press the responses' numbers in order of preference (best first); Backspace undoes the last pick;
// t ties the last pick with the one before it (when the project allows ties); ←/→ choose the response that
// the flag keys (shown on the flag buttons) apply to; [ and ] move that response up or down the order. With
// the mouse: click the numbers, then drag a ranked response to its place (or use its up/down buttons). The
// order lives in data-order on [data-ranking].
(function () {
  "use strict";
  const Quorum = (window.Quorum = window.Quorum || { widgets: {} });
  const SELECTOR = "#task[data-task-type=ranking] [data-ranking]";

  function orderOf(el) {
    return JSON.parse(el.dataset.order || "[]");
  }

  function render(el) {
    const order = orderOf(el);
    const view = el.querySelector("[data-order-view]");
    view.replaceChildren();
    order.forEach((tier, at) => {
      const li = document.createElement("li");
      li.draggable = true;
      li.dataset.tier = String(at);
      const label = document.createElement("span");
      label.className = "tier-label";
      label.textContent = tier.map((i) => `Response ${i + 1}`).join(" = ") + (tier.length > 1 ? " (tie)" : "");
      li.append(label);
      // The arrows are drawn by the stylesheet, so the row's text stays the order itself.
      [["up", "Move up"], ["down", "Move down"]].forEach(([way, name]) => {
        const b = document.createElement("button");
        b.type = "button";
        b.dataset.move = way;
        b.setAttribute("aria-label", `${name}: ${label.textContent}`);
        li.append(b);
      });
      view.appendChild(li);
    });
    el.querySelector("[data-order-empty]").hidden = order.length > 0;
    const ranked = new Set(order.flat());
    el.querySelectorAll("[data-pick]").forEach((b) => {
      b.classList.toggle("selected", ranked.has(Number(b.dataset.pick)));
    });
    const cursor = Number(el.dataset.cursor || 0);
    el.querySelectorAll("[data-flag-row]").forEach((row) => {
      const on = Number(row.dataset.flagRow) === cursor;
      row.setAttribute("aria-current", on ? "true" : "false");
      row.classList.toggle("cursor-row", on);
    });
  }

  function save(el, order) {
    el.dataset.order = JSON.stringify(order);
    render(el);
  }

  function pick(el, index) {
    if (index < 0 || index >= Number(el.dataset.k)) return;
    const order = orderOf(el);
    if (order.flat().includes(index)) return;
    order.push([index]);
    el.dataset.cursor = String(index);
    save(el, order);
  }

  function undo(el) {
    const order = orderOf(el);
    if (!order.length) return;
    order[order.length - 1].pop();
    if (!order[order.length - 1].length) order.pop();
    save(el, order);
  }

  function tie(el) {
    if (el.dataset.allowTies !== "true") return;
    const order = orderOf(el);
    if (order.length < 2) return;
    const last = order.pop();
    order[order.length - 1].push(...last);
    save(el, order);
  }

  // Moves the tier at ``from`` to position ``to`` (both tier indexes).
  function moveTier(el, from, to) {
    const order = orderOf(el);
    if (from < 0 || from >= order.length || to < 0 || to >= order.length || from === to) return;
    const [tier] = order.splice(from, 1);
    order.splice(to, 0, tier);
    save(el, order);
  }

  function moveResponse(el, step) {
    const order = orderOf(el);
    const cursor = Number(el.dataset.cursor || 0);
    const at = order.findIndex((tier) => tier.includes(cursor));
    if (at >= 0) moveTier(el, at, at + step);
  }

  function moveCursor(el, step) {
    const k = Number(el.dataset.k);
    el.dataset.cursor = String((Number(el.dataset.cursor || 0) + step + k) % k);
    render(el);
    const row = el.querySelector(`[data-flag-row="${el.dataset.cursor}"]`);
    if (row) row.scrollIntoView({ block: "nearest" });
  }

  Quorum.widgets.ranking = {
    keys: [
      ["1 … 9", "rank the response with that number next"],
      ["Backspace", "undo the last pick"],
      ["t", "tie the last pick with the one before (when ties are allowed)"],
      ["← →", "choose the response the flag keys and [ ] apply to"],
      ["[ ]", "move the chosen response up / down the order"],
    ],
    snapshot(root) {
      const el = root.querySelector("[data-ranking]");
      return { order: orderOf(el), cursor: Number(el.dataset.cursor || 0) };
    },
    restore(root, data) {
      const el = root.querySelector("[data-ranking]");
      if (!data || !Array.isArray(data.order)) return;
      el.dataset.cursor = String(data.cursor || 0);
      save(el, data.order);
    },
    collect(root) {
      const el = root.querySelector("[data-ranking]");
      const k = Number(el.dataset.k);
      const order = orderOf(el);
      const ranked = new Set(order.flat());
      const missing = [];
      for (let i = 0; i < k; i++) if (!ranked.has(i)) missing.push(i + 1);
      if (missing.length) {
        throw new Error(`Rank every response: ${missing.join(", ")} still missing (press their numbers).`);
      }
      const flags = {};
      for (let i = 0; i < k; i++) {
        const set = Quorum.pressed(root, `flags:${i}`);
        if (set.length) flags[String(i)] = set;
      }
      return { order: order.map((tier) => tier.slice().sort((a, b) => a - b)), flags };
    },
  };

  document.addEventListener("keydown", (event) => {
    const el = document.querySelector(SELECTOR);
    if (!el || !Quorum.shortcutActs(event)) return;
    const key = event.key;
    if (/^[1-9]$/.test(key)) pick(el, Number(key) - 1);
    else if (key === "Backspace") undo(el);
    else if (key === "t" && el.dataset.allowTies === "true") tie(el);
    else if (key === "ArrowLeft" || key === "ArrowRight") moveCursor(el, key === "ArrowLeft" ? -1 : 1);
    else if (key === "[" || key === "]") moveResponse(el, key === "[" ? -1 : 1);
    else {
      const button = el.querySelector(
        `[data-flag-row="${el.dataset.cursor || 0}"] [data-flag-key="${CSS.escape(key)}"]`);
      if (!button) return;
      button.click(); // the workspace toggles it like any choice button
    }
    event.preventDefault();
    event.stopImmediatePropagation();
  });

  document.addEventListener("click", (event) => {
    const el = event.target.closest(SELECTOR);
    if (!el) return;
    const target = event.target.closest("[data-pick], [data-undo], [data-tie], [data-move]");
    if (!target) return;
    if (target.dataset.move !== undefined) {
      const from = Number(target.closest("li").dataset.tier);
      moveTier(el, from, from + (target.dataset.move === "up" ? -1 : 1));
    } else if (target.dataset.pick !== undefined) pick(el, Number(target.dataset.pick));
    else if (target.dataset.undo !== undefined) undo(el);
    else tie(el);
  });

  // Drag and drop: a ranked response dropped on another takes its place.
  let dragged = null;
  document.addEventListener("dragstart", (event) => {
    const li = event.target.closest && event.target.closest(`${SELECTOR} [data-order-view] li`);
    if (!li) return;
    dragged = Number(li.dataset.tier);
    li.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", li.dataset.tier);
  });
  document.addEventListener("dragover", (event) => {
    const li = dragged !== null && event.target.closest && event.target.closest(`${SELECTOR} [data-order-view] li`);
    if (!li) return;
    event.preventDefault();
    li.classList.add("drop-target");
  });
  document.addEventListener("dragleave", (event) => {
    const li = event.target.closest && event.target.closest(`${SELECTOR} [data-order-view] li`);
    if (li) li.classList.remove("drop-target");
  });
  document.addEventListener("drop", (event) => {
    const li = dragged !== null && event.target.closest && event.target.closest(`${SELECTOR} [data-order-view] li`);
    if (!li) return;
    event.preventDefault();
    const from = dragged;
    dragged = null;
    moveTier(li.closest("[data-ranking]"), from, Number(li.dataset.tier));
  });
  document.addEventListener("dragend", () => {
    dragged = null;
    document.querySelectorAll(`${SELECTOR} [data-order-view] li`).forEach((li) => li.classList.remove("dragging", "drop-target"));
  });

  // Draw the (empty) order and the flag cursor as soon as an item arrives.
  const area = document.getElementById("task-area");
  if (area) {
    new MutationObserver(() => {
      const el = document.querySelector(SELECTOR);
      if (el) render(el);
    }).observe(area, { childList: true });
  }
})();
