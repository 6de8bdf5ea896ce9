// The review page, keyboard first: "a" accepts, "r" goes to the reason (Enter there rejects), "c" goes to
// the corrected answer (Ctrl/Cmd+Enter there submits the correction). Plain forms do the rest. Letters follow
// the shared rule (keys.js): they never act while a text field has focus. After a refused verdict the page
// comes back with the field that needs fixing focused and marked [data-expected]; while it is expected, a
// letter goes into that field instead of recording a verdict, until Esc leaves it on purpose.
(function () {
  "use strict";
  const Quorum = window.Quorum;
  const accept = document.getElementById("accept-form");
  const reason = document.getElementById("review-reason");
  const correction = document.getElementById("review-correction");
  const correctForm = document.getElementById("correct-form");
  if (!accept) return;
  let expected = document.querySelector("[data-expected]");

  function focusEnd(field) {
    field.focus();
    if (typeof field.setSelectionRange === "function") field.setSelectionRange(field.value.length, field.value.length);
  }

  document.addEventListener("keydown", (event) => {
    if (event.target === correction && event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      correctForm.requestSubmit();
      return;
    }
    if (event.key === "Escape" && Quorum.isTextField(document.activeElement)) {
      if (document.activeElement === expected) expected = null;
      document.activeElement.blur();
      return;
    }
    if (!Quorum.shortcutActs(event)) return;
    if (expected && event.key.length === 1) {
      // Not prevented: moving the focus first makes the typed character land in the field.
      focusEnd(expected);
      return;
    }
    if (event.key === "a") {
      event.preventDefault();
      accept.requestSubmit();
    } else if (event.key === "r") {
      event.preventDefault();
      reason.focus();
    } else if (event.key === "c") {
      event.preventDefault();
      correction.focus();
    }
  });
  if (expected) focusEnd(expected);
})();
