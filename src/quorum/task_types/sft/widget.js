// sft: the reply is a textarea, prefilled with the model's draft when the item has one. e focuses it, Esc
// leaves it, Ctrl+Enter submits (the workspace's keys); r resets it to the draft and w clears it to write
// from scratch. A new item leaves the box unfocused, so the shortcut letters on screen act as shortcuts
// instead of landing in the reply. The reply counts as "from the draft" unless the annotator cleared the
// box at some point.
// The server computes the edit distance to the draft; the status line shows the length as you type.
(function () {
  "use strict";
  const Quorum = (window.Quorum = window.Quorum || { widgets: {} });
  const SELECTOR = "#task[data-task-type=sft] [data-sft]";

  function status(el) {
    const box = el.querySelector("[data-field=reply]");
    const line = el.querySelector("[data-reply-status]");
    const source = el.dataset.fromDraft === "true" ? "edited from the draft" : "written from scratch";
    line.textContent = `${box.value.length} characters, ${source}`;
  }

  function focusEnd(box) {
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
  }

  function reset(el) {
    if (el.dataset.hasDraft !== "true") return;
    const box = el.querySelector("[data-field=reply]");
    box.value = el.dataset.draft;
    el.dataset.fromDraft = "true";
    status(el);
    focusEnd(box);
  }

  function clear(el) {
    const box = el.querySelector("[data-field=reply]");
    box.value = "";
    el.dataset.fromDraft = "false";
    status(el);
    box.focus();
  }

  Quorum.widgets.sft = {
    keys: [
      ["e", "to the reply box (Esc leaves it)"],
      ["r", "reset the reply to the model's draft"],
      ["w", "clear it and write from scratch"],
    ],
    snapshot(root) {
      return { fromDraft: root.querySelector("[data-sft]").dataset.fromDraft };
    },
    restore(root, data) {
      const el = root.querySelector("[data-sft]");
      if (data && (data.fromDraft === "true" || data.fromDraft === "false")) el.dataset.fromDraft = data.fromDraft;
      status(el);
    },
    collect(root) {
      const el = root.querySelector("[data-sft]");
      const reply = el.querySelector("[data-field=reply]").value;
      const min = Number(el.dataset.min || 1);
      if (reply.trim().length < min) throw new Error(`Write the reply first (at least ${min} characters).`);
      return { reply, from_draft: el.dataset.fromDraft === "true" };
    },
  };

  document.addEventListener("keydown", (event) => {
    const el = document.querySelector(SELECTOR);
    if (!el || !Quorum.shortcutActs(event)) return;
    if (event.key === "e") focusEnd(el.querySelector("[data-field=reply]"));
    else if (event.key === "r" && el.dataset.hasDraft === "true") reset(el);
    else if (event.key === "w" && el.dataset.hasDraft === "true") clear(el);
    else return;
    event.preventDefault();
    event.stopImmediatePropagation();
  });

  document.addEventListener("click", (event) => {
    const el = event.target.closest(SELECTOR);
    if (!el) return;
    if (event.target.closest("[data-reset-draft]")) reset(el);
    else if (event.target.closest("[data-clear-reply]")) clear(el);
  });

  document.addEventListener("input", (event) => {
    const el = event.target.closest && event.target.closest(SELECTOR);
    if (!el || !event.target.matches("[data-field=reply]")) return;
    if (!event.target.value) el.dataset.fromDraft = "false"; // emptied: whatever comes next is new writing
    status(el);
  });

  // A new item: fill in the draft and the status line (the box gets focus only on e, r, w or a click).
  const area = document.getElementById("task-area");
  if (area) {
    new MutationObserver(() => {
      const el = document.querySelector(SELECTOR);
      if (!el) return;
      // From the attribute: an HTML textarea drops a leading newline of its initial text.
      if (el.dataset.hasDraft === "true") el.querySelector("[data-field=reply]").value = el.dataset.draft;
      status(el);
    }).observe(area, { childList: true });
  }
})();
