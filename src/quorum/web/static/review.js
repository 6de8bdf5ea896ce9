// The review page, keyboard first: "a" accepts, "r" goes to the reason (Enter there rejects), "c" goes to
// the corrected answer (Ctrl/Cmd+Enter there submits the correction). Plain forms do the rest.
(function () {
  "use strict";
  const accept = document.getElementById("accept-form");
  const reason = document.getElementById("review-reason");
  const correction = document.getElementById("review-correction");
  const correctForm = document.getElementById("correct-form");
  if (!accept) return;

  function typing(target) {
    return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement ||
      target instanceof HTMLSelectElement || (target && target.isContentEditable);
  }

  document.addEventListener("keydown", (event) => {
    if (event.target === correction && event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      correctForm.requestSubmit();
      return;
    }
    if (typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
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
  // After a failed submit, put the cursor where the problem is.
  if (document.getElementById("correction-error")) correction.focus();
})();
