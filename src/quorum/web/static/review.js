// The review page, keyboard first. The judgment shows in the task type's own form (filled by the type's
// fill.js), locked while the reviewer reads it: "a" accepts, "r" goes to the reason (Enter there rejects),
// "c" unlocks the form to correct it with the type's own keys and buttons (Ctrl/Cmd+Enter saves the
// correction, Esc outside a text box stops correcting), "u" undoes the verdict just recorded while its bar
// shows. Letters follow the shared rule (keys.js): they never act while a text field has focus. After a
// refused reject the page comes back with the reason focused and marked [data-expected]; while it is
// expected, a letter goes into that field instead of recording a verdict, until Esc leaves it on purpose.
(function () {
  "use strict";
  const Quorum = (window.Quorum = window.Quorum || { widgets: {} });
  const review = document.getElementById("review");
  const undoBar = document.getElementById("undo-bar");
  const undoForm = document.getElementById("undo-form");

  // The undo bar counts down; the server keeps the verdict undoable a little longer than it shows.
  if (undoBar) {
    const left = document.getElementById("undo-left");
    let seconds = Number(undoBar.dataset.seconds || 10);
    const step = () => {
      if (seconds <= 0) { undoBar.hidden = true; return; }
      left.textContent = `${seconds} s`;
      seconds -= 1;
      setTimeout(step, 1000);
    };
    step();
  }

  // Quorum.pressed, Quorum.press and Quorum.pressChoice: form_state.js, shared with the workspace.

  const undoKeys = (event) => {
    if (undoForm && !undoBar.hidden && event.key === "u" && Quorum.shortcutActs(event)) {
      event.preventDefault();
      undoForm.requestSubmit();
      return true;
    }
    return false;
  };
  if (!review) {
    document.addEventListener("keydown", undoKeys);
    return;
  }

  const task = document.getElementById("task");
  const formBox = document.getElementById("review-form");
  const title = document.getElementById("review-form-title");
  const accept = document.getElementById("accept-form");
  const reason = document.getElementById("review-reason");
  const correctForm = document.getElementById("correct-form");
  const correction = document.getElementById("review-correction");
  const correctionError = document.getElementById("correction-error");
  const buttons = {
    start: document.getElementById("correct-start"),
    save: document.getElementById("correct-save"),
    cancel: document.getElementById("correct-cancel"),
  };
  const widget = Quorum.widgets[task.dataset.taskType];
  const filler = (Quorum.fillers || {})[task.dataset.taskType];
  let expected = document.querySelector("[data-expected]");
  let correcting = false;

  function showError(message) {
    correctionError.textContent = message;
    correctionError.hidden = !message;
  }

  function setCorrecting(on) {
    correcting = on;
    formBox.inert = !on;
    if (task.dataset.fill !== "true") formBox.hidden = !on;
    formBox.classList.toggle("correcting", on);
    title.textContent = on ? title.dataset.correcting : title.dataset.judged;
    buttons.start.hidden = on;
    buttons.save.hidden = !on;
    buttons.cancel.hidden = !on;
    if (on) {
      const first = formBox.querySelector("button, textarea, input, select");
      if (first && !Quorum.isTextField(first)) first.focus();
    } else if (formBox.contains(document.activeElement)) {
      document.activeElement.blur();
    }
  }

  function saveCorrection() {
    let answer;
    try {
      answer = widget.collect(task);
    } catch (e) {
      showError(e.message);
      return;
    }
    correction.value = JSON.stringify(answer);
    correctForm.submit();
  }

  function focusEnd(field) {
    field.focus();
    if (typeof field.setSelectionRange === "function") field.setSelectionRange(field.value.length, field.value.length);
  }

  function pressChoice(button) {
    Quorum.pressChoice(button);
    showError("");
  }

  // Capture phase, before the task type's own key handlers: while the form is locked they get nothing,
  // so a review key never changes the answer on screen.
  window.addEventListener("keydown", (event) => {
    if (Quorum.dialogOpen()) return;
    if (correcting) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        event.stopImmediatePropagation();
        saveCorrection();
      } else if (event.key === "Escape" && !Quorum.isTextField(document.activeElement)
        && !(formBox.querySelector(".issue-editor:not([hidden])"))) {
        event.stopImmediatePropagation();
        setCorrecting(false);
      }
      return; // everything else is the form's
    }
    const stop = () => { event.preventDefault(); event.stopImmediatePropagation(); };
    if (event.key === "Escape" && Quorum.isTextField(document.activeElement)) {
      if (document.activeElement === expected) expected = null;
      document.activeElement.blur();
      event.stopImmediatePropagation();
      return;
    }
    if (!Quorum.shortcutActs(event)) return;
    if (expected && event.key.length === 1) {
      // Not prevented: moving the focus first makes the typed character land in the field.
      event.stopImmediatePropagation();
      focusEnd(expected);
      return;
    }
    if (undoKeys(event)) { event.stopImmediatePropagation(); return; }
    if (event.key === "a") { stop(); accept.requestSubmit(); }
    else if (event.key === "r") { stop(); reason.focus(); }
    else if (event.key === "c") { stop(); setCorrecting(true); }
    else if (event.key !== "Tab" && event.key !== "Enter") event.stopImmediatePropagation();
  }, true);

  // While correcting: the choice buttons' keys and clicks, as the workspace gives them (after the widgets'
  // own handlers, which stop the keys they use).
  document.addEventListener("keydown", (event) => {
    if (!correcting || !Quorum.shortcutActs(event)) return;
    const keyed = task.querySelector(`#review-form [data-key="${CSS.escape(event.key)}"]`);
    if (keyed) { event.preventDefault(); pressChoice(keyed); }
  });
  formBox.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-value]");
    if (button && correcting) pressChoice(button);
  });
  document.addEventListener("click", (event) => {
    const target = event.target.closest("[data-review-action]");
    if (!target) return;
    setCorrecting(target.dataset.reviewAction === "correct");
  });
  correctForm.addEventListener("submit", (event) => {
    if (!correcting) { event.preventDefault(); setCorrecting(true); return; }
    event.preventDefault();
    saveCorrection();
  });

  if (filler) {
    try { filler(task, JSON.parse(task.dataset.answer)); } catch (e) { /* the readable answer still shows */ }
  }
  setCorrecting(review.dataset.correcting === "true");
  if (expected) focusEnd(expected);
})();
