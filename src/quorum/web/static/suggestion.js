// Suggestions in the workspace: a model's proposed answer, clearly marked, beside the form (hint mode) or
// filled into it (prefill mode). "g" accepts it as it is (Quorum.shortcutActs rules: never while typing);
// the normal controls change it. The page only ever gets the answer: never the model's name, never whether
// it is a probe. Loaded only in projects that offer suggestions.
(function () {
  "use strict";
  const Quorum = (window.Quorum = window.Quorum || { widgets: {} });

  function box() { return document.querySelector("#task [data-suggestion]"); }

  function answerOf(el) {
    try { return JSON.parse(el.dataset.answer); } catch (e) { return null; }
  }

  function show(value) {
    if (Array.isArray(value)) return value.map(show).join(", ");
    if (value && typeof value === "object") return Object.entries(value).map(([k, v]) => `${k} ${show(v)}`).join(", ");
    return String(value);
  }

  // Press the choice buttons of each form group named like an answer field; a widget with its own fill()
  // (for controls that are not choice groups) does it itself.
  function fill(root, answer) {
    const widget = Quorum.widgets[root.dataset.taskType];
    if (widget && typeof widget.fill === "function") { widget.fill(root, answer); return; }
    Object.entries(answer).forEach(([field, value]) => Quorum.press(root, field, value));
  }

  // Whether the form already holds an answer (a restored draft, or what the person did): prefill never
  // overwrites it.
  function answered(root) {
    const widget = Quorum.widgets && Quorum.widgets[root.dataset.taskType];
    if (!widget) return false;
    try { widget.collect(root); return true; } catch (e) { return false; }
  }

  // After each item loads (and its draft is restored): the workspace's "quorum:item" event.
  document.addEventListener("quorum:item", (event) => {
    const root = event.detail.task;
    const el = box();
    if (!el) return;
    const answer = answerOf(el);
    if (!answer) { el.hidden = true; return; }
    el.querySelector("[data-suggestion-text]").textContent = show(answer);
    if (el.dataset.mode === "prefill" && !answered(root)) {
      fill(root, answer);
      // So that the prefilled form lands in the draft like any change.
      root.dispatchEvent(new Event("input", { bubbles: true }));
    }
  });

  function accept() {
    const el = box();
    const answer = el && answerOf(el);
    if (!answer || typeof Quorum.submitAnswer !== "function") return false;
    Quorum.submitAnswer(answer);
    return true;
  }

  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-action=accept-suggestion]")) accept();
  });

  document.addEventListener("keydown", (event) => {
    if (event.key !== "g" || !Quorum.shortcutActs(event)) return;
    if (accept()) event.preventDefault();
  });
})();
