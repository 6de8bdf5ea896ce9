// ranking: press the responses' numbers in order of preference (best first); Backspace undoes the last pick;
// t ties the last pick with the one before it (when the project allows ties); ←/→ choose the response that
// the flag keys (shown on the flag buttons) apply to. The order lives in data-order on [data-ranking].
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
    order.forEach((tier) => {
      const li = document.createElement("li");
      li.textContent = tier.map((i) => `Response ${i + 1}`).join(" = ") + (tier.length > 1 ? " (tie)" : "");
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
      row.style.outline = on ? "2px solid #2563eb" : "";
      row.style.outlineOffset = "3px";
      row.style.borderRadius = "6px";
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

  function moveCursor(el, step) {
    const k = Number(el.dataset.k);
    el.dataset.cursor = String((Number(el.dataset.cursor || 0) + step + k) % k);
    render(el);
    const row = el.querySelector(`[data-flag-row="${el.dataset.cursor}"]`);
    if (row) row.scrollIntoView({ block: "nearest" });
  }

  Quorum.widgets.ranking = {
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
    const target = event.target.closest("[data-pick], [data-undo], [data-tie]");
    if (!target) return;
    if (target.dataset.pick !== undefined) pick(el, Number(target.dataset.pick));
    else if (target.dataset.undo !== undefined) undo(el);
    else tie(el);
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
