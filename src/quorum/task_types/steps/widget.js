// steps: one +1 / 0 / -1 label per step of a solution, an optional note per step, and an optional verdict on
// the final answer. Keyboard: j/k or arrows move the current step; 1, 2, 3 label it and move on; n opens its
// note (its "Note" button with the mouse). The first error (first -1) is derived on the server, never sent.
(function () {
  "use strict";
  const Quorum = (window.Quorum = window.Quorum || { widgets: {} });
  const KEY_VALUES = { 1: "1", 2: "0", 3: "-1" };

  function task() {
    return document.querySelector('#task[data-task-type="steps"]');
  }
  function list(root) {
    return root.querySelector(".steps-list");
  }
  function stepsOf(root) {
    return Array.from(root.querySelectorAll(".steps-list > .step"));
  }
  function labelOf(root, i) {
    const [value] = Quorum.pressed(root, "step:" + i);
    return value === undefined ? null : Number(value);
  }
  function currentIndex(root) {
    return Number(list(root).dataset.current || 0);
  }

  function refresh(root) {
    const box = list(root);
    const steps = stepsOf(root);
    const current = currentIndex(root);
    const stopAtError = box.dataset.stopAtFirstError === "true";
    const labels = steps.map((_, i) => labelOf(root, i));
    const firstError = labels.indexOf(-1);
    steps.forEach((step, i) => {
      const on = i === current;
      step.setAttribute("aria-current", on ? "step" : "false");
      step.classList.toggle("current", on);
      step.classList.toggle("cursor-row", on);
      const skipped = stopAtError && firstError >= 0 && i > firstError;
      step.style.opacity = skipped ? "0.55" : "";
      // Notes show when opened or filled (the page's CSS may override the hidden attribute on labels).
      const note = step.querySelector(".step-note");
      const showNote = note.dataset.open === "true" || note.querySelector("input").value.trim() !== "";
      note.hidden = !showNote;
      note.style.display = showNote ? "" : "none";
      const label = labels[i];
      const mark = step.querySelector(".step-mark");
      mark.textContent = label === null ? (skipped ? "no label needed" : "not labelled")
        : label === 1 ? "labelled +1" : label === 0 ? "labelled 0" : "labelled −1";
    });
    const done = labels.filter((l) => l !== null).length;
    const status = root.querySelector("#steps-status");
    if (status) {
      status.textContent = `Labelled ${done} of ${steps.length}` +
        (firstError >= 0 ? ` · first error: step ${firstError + 1}` : " · no error marked");
    }
  }

  function setCurrent(root, i, scroll) {
    const steps = stepsOf(root);
    if (!steps.length) return;
    const next = Math.max(0, Math.min(steps.length - 1, i));
    list(root).dataset.current = String(next);
    refresh(root);
    if (scroll !== false) steps[next].scrollIntoView({ block: "nearest" });
  }

  function mark(root, value) {
    const i = currentIndex(root);
    const button = root.querySelector(`[data-group="step:${i}"] [data-value="${value}"]`);
    if (!button) return false;
    button.closest("[data-group]").querySelectorAll("[aria-pressed]").forEach((b) => b.setAttribute("aria-pressed", "false"));
    button.setAttribute("aria-pressed", "true");
    setCurrent(root, i + 1);
    return true;
  }

  function openNote(root) {
    const step = stepsOf(root)[currentIndex(root)];
    if (!step) return;
    const label = step.querySelector(".step-note");
    label.dataset.open = "true";
    refresh(root);
    label.querySelector("input").focus();
  }

  function closeNote(root, input) {
    input.closest(".step-note").dataset.open = "false";
    input.value = input.value.trim();
    input.blur();
    refresh(root);
  }

  // Registered before the workspace's own key handler (widget scripts load first), so the keys handled
  // here stop there.
  document.addEventListener("keydown", (event) => {
    const root = task();
    if (!root || !list(root)) return;
    if (Quorum.dialogOpen()) return;
    const active = document.activeElement;
    if (active && active.matches && active.matches("input[data-note]")) {
      if ((event.key === "Enter" && !event.ctrlKey && !event.metaKey) || event.key === "Escape") {
        event.preventDefault();
        event.stopImmediatePropagation();
        closeNote(root, active);
      }
      return;
    }
    if (!Quorum.shortcutActs(event)) return;
    let handled = true;
    if (event.key === "j" || event.key === "ArrowDown") setCurrent(root, currentIndex(root) + 1);
    else if (event.key === "k" || event.key === "ArrowUp") setCurrent(root, currentIndex(root) - 1);
    else if (KEY_VALUES[event.key] !== undefined) handled = mark(root, KEY_VALUES[event.key]);
    else if (event.key === "n") openNote(root);
    else handled = false;
    if (handled) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  });

  document.addEventListener("click", (event) => {
    const root = task();
    if (!root || !root.contains(event.target)) return;
    const step = event.target.closest(".steps-list > .step");
    if (step) setCurrent(root, Number(step.dataset.step), false);
    if (step && event.target.closest("[data-note-open]")) openNote(root); // the mouse's way to "n"
  });

  // Each item arrives as a fresh fragment: style it once it is in the page. The review and edit pages
  // render the form with the page itself, before this script runs.
  function ready() {
    const root = task();
    if (root && list(root) && !list(root).dataset.ready) {
      list(root).dataset.ready = "true";
      setCurrent(root, 0, false);
    }
  }
  new MutationObserver(ready).observe(document.documentElement, { childList: true, subtree: true });
  ready();

  Quorum.widgets.steps = {
    keys: [
      ["j k ↑ ↓", "move between steps"],
      ["1 2 3", "label the step +1, 0, −1 and move on"],
      ["n", "a note on the step (Esc leaves it)"],
      ["y x", "the final answer is correct / incorrect"],
    ],
    collect(root) {
      const box = list(root);
      const steps = stepsOf(root);
      let labels = steps.map((_, i) => labelOf(root, i));
      const firstError = labels.indexOf(-1);
      if (box.dataset.stopAtFirstError === "true" && firstError >= 0 && labels.includes(null) &&
          labels.slice(0, firstError).every((l) => l !== null)) {
        labels = labels.slice(0, firstError + 1);
      }
      const missing = labels.indexOf(null);
      if (missing >= 0) {
        setCurrent(root, missing);
        throw new Error(`Step ${missing + 1} has no label yet (keys 1, 2, 3).`);
      }
      const notes = {};
      root.querySelectorAll("input[data-note]").forEach((input) => {
        const text = input.value.trim();
        if (text) notes[input.dataset.note] = text;
      });
      const [final] = Quorum.pressed(root, "final");
      return { labels, notes, final_answer_correct: final === undefined ? null : final === "true" };
    },
  };
})();
