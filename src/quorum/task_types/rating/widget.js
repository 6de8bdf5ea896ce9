// rating: one row per criterion, then overall and flags. The highlighted row takes the keys shown on its
// buttons (digits, or y/n): a choice in a single-choice row moves on to the next row; flags toggle. ↑/↓ or
// k/j move between rows; c focuses the comment box. Clicking works too.
(function () {
  "use strict";
  const Quorum = (window.Quorum = window.Quorum || { widgets: {} });
  const SELECTOR = "#task[data-task-type=rating] [data-rating]";

  function rows(el) {
    return Array.from(el.querySelectorAll("[data-row]"));
  }

  function setCurrent(el, index) {
    const all = rows(el);
    if (!all.length) return;
    const at = Math.max(0, Math.min(all.length - 1, index));
    all.forEach((row, i) => {
      const on = i === at;
      row.setAttribute("aria-current", on ? "true" : "false");
      row.classList.toggle("cursor-row", on);
    });
    all[at].scrollIntoView({ block: "nearest" });
  }

  function current(el) {
    const all = rows(el);
    const at = all.findIndex((row) => row.getAttribute("aria-current") === "true");
    return at < 0 ? 0 : at;
  }

  Quorum.widgets.rating = {
    keys: [
      ["↑ ↓ k j", "move between criteria"],
      ["1 … 9 y n", "the highlighted row's choice (the keys on its buttons); then the next row"],
      ["c", "to the comment box"],
    ],
    collect(root) {
      const scores = {};
      root.querySelectorAll("[data-criterion]").forEach((group) => {
        const [value] = Quorum.pressed(root, group.dataset.group);
        const name = group.dataset.criterion;
        if (value === undefined) throw new Error(`Score "${name}" first.`);
        scores[name] = group.dataset.scale === "yes_no" ? value : Number(value);
      });
      const answer = { scores, flags: Quorum.pressed(root, "flags") };
      if (root.querySelector("[data-group=overall]")) {
        const [overall] = Quorum.pressed(root, "overall");
        if (overall === undefined) throw new Error("Give an overall score first.");
        answer.overall = Number(overall);
      }
      const comment = root.querySelector("[data-field=comment]");
      if (comment && comment.value.trim()) answer.comment = comment.value.trim();
      return answer;
    },
  };

  document.addEventListener("keydown", (event) => {
    const el = document.querySelector(SELECTOR);
    if (!el || !Quorum.shortcutActs(event)) return;
    const key = event.key;
    const at = current(el);
    if (key === "ArrowDown" || key === "j") setCurrent(el, at + 1);
    else if (key === "ArrowUp" || key === "k") setCurrent(el, at - 1);
    else if (key === "c" && el.querySelector("[data-field=comment]")) el.querySelector("[data-field=comment]").focus();
    else {
      const row = rows(el)[at];
      const button = row && row.querySelector(`[data-row-key="${CSS.escape(key)}"]`);
      if (!button) return;
      const multi = row.hasAttribute("data-multi");
      if (!multi && button.getAttribute("aria-pressed") === "true") { setCurrent(el, at + 1); }
      else {
        button.click(); // the workspace presses it like any choice button
        if (!multi) setCurrent(el, at + 1);
      }
    }
    event.preventDefault();
    event.stopImmediatePropagation();
  });

  // A click on a row makes it the current one.
  document.addEventListener("click", (event) => {
    const el = event.target.closest(SELECTOR);
    const row = event.target.closest("[data-row]");
    if (el && row) setCurrent(el, rows(el).indexOf(row));
  });

  const area = document.getElementById("task-area");
  if (area) {
    new MutationObserver(() => {
      const el = document.querySelector(SELECTOR);
      if (el) setCurrent(el, 0);
    }).observe(area, { childList: true });
  }
})();
