// pairwise: choice, strength (none for a tie), per-axis choices and a rationale. Keys: a / t / b choose,
// 1-4 say by how much; per aspect q / w / e (A, same, B) answer the marked aspect and mark the next, j / k
// move the mark. A click on an aspect's button marks that aspect too.
(function () {
  "use strict";
  const Quorum = (window.Quorum = window.Quorum || { widgets: {} });

  function task() {
    return document.querySelector('#task[data-task-type="pairwise"]');
  }

  function mark(root, index) {
    const axes = Array.from(root.querySelectorAll("[data-axis]"));
    if (!axes.length) return;
    const at = (index + axes.length) % axes.length;
    axes.forEach((el, i) => el.classList.toggle("axis-current", i === at));
    axes[at].scrollIntoView({ block: "nearest" });
  }

  function marked(root) {
    const el = root.querySelector("[data-axis].axis-current");
    return el ? Number(el.dataset.axis) : 0;
  }

  // Registered before the workspace's own handler (widget scripts load first).
  document.addEventListener("keydown", (event) => {
    const root = task();
    if (!root || !root.querySelector("[data-axis]") || !Quorum.shortcutActs(event)) return;
    const key = event.key;
    if (key === "j" || key === "k") {
      mark(root, marked(root) + (key === "j" ? 1 : -1));
    } else if (key === "q" || key === "w" || key === "e") {
      const at = marked(root);
      const button = root.querySelector(`[data-axis="${at}"] [data-axis-key="${key}"]`);
      if (!button) return;
      button.click(); // pressed like any choice button
      mark(root, at + 1);
    } else {
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
  });

  document.addEventListener("click", (event) => {
    const root = task();
    const axis = root && event.target.closest && event.target.closest("[data-axis]");
    if (axis && root.contains(axis)) mark(root, Number(axis.dataset.axis));
  });

  Quorum.widgets.pairwise = {
    keys: [
      ["a t b", "A is better, tie, B is better"],
      ["1 2 3 4", "by how much"],
      ["q w e", "on the marked aspect: A, same, B (then the next aspect)"],
      ["j k", "mark the next / previous aspect"],
      ["Tab", "to the rationale box (Esc leaves it)"],
    ],
    collect(root) {
      const [choice] = Quorum.pressed(root, "choice");
      if (!choice) throw new Error("Choose A, B or tie first.");
      const answer = { choice, rationale: root.querySelector("[data-field=rationale]").value };
      if (choice !== "tie") {
        const [strength] = Quorum.pressed(root, "strength");
        if (!strength) throw new Error("Say how much better (keys 1 to 4).");
        answer.strength = strength;
      }
      const axes = {};
      root.querySelectorAll("[data-group^='axis:']").forEach((group) => {
        const [value] = Quorum.pressed(root, group.dataset.group);
        if (value) axes[group.dataset.group.slice(5)] = value;
      });
      answer.axes = axes;
      return answer;
    },
  };
})();
