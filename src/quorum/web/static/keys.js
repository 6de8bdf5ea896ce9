// The one rule for keyboard shortcuts, shared by the workspace, every task type's widget and the review
// page: a single-letter (or any unmodified) shortcut acts only when no text field has focus and no dialog is
// open, so whatever a person types into a box stays exactly what they typed. Modifier combos such as
// Ctrl/Cmd+Enter are checked by each caller and may act inside fields.
(function () {
  "use strict";
  const Quorum = (window.Quorum = window.Quorum || { widgets: {} });
  // Input types that take no typed text: a focused checkbox or button leaves letters to the shortcuts.
  const NOT_TEXT = new Set(["button", "submit", "reset", "checkbox", "radio", "hidden", "image", "file", "range", "color"]);

  Quorum.isTextField = function (el) {
    if (!el || el.nodeType !== 1) return false;
    if (el.isContentEditable) return true;
    if (el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement) return true;
    return el instanceof HTMLInputElement && !NOT_TEXT.has(el.type);
  };

  Quorum.dialogOpen = function () {
    return document.querySelector(".dialog:not([hidden])") !== null;
  };

  // Does an unmodified shortcut key act now? False while typing in a field, inside an open dialog, or when
  // Ctrl, Cmd or Alt is held (those combos are the browser's or the caller's own).
  Quorum.shortcutActs = function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return false;
    if (Quorum.isTextField(document.activeElement) || Quorum.isTextField(event.target)) return false;
    return !Quorum.dialogOpen();
  };
})();
