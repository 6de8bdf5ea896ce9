// Editing an earlier answer: the task type's own form, filled from the form as it was submitted (the
// assignment's draft), saved as a new version of the judgment through PATCH /api/v1/judgments/{id}.
(function () {
  "use strict";
  const Quorum = window.Quorum;
  const csrf = document.querySelector("meta[name=csrf-token]").content;
  const task = document.getElementById("task");
  const type = task.dataset.taskType;
  const errorBox = document.getElementById("work-error");
  const saved = document.getElementById("edit-saved");
  const started = performance.now();
  let busy = false;

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = !message;
  }

  // Choice buttons toggle as in the workspace.
  task.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-value]");
    const group = button && button.closest("[data-group]");
    if (!group) return;
    const on = button.getAttribute("aria-pressed") !== "true";
    if (group.dataset.mode === "single") group.querySelectorAll("[aria-pressed]").forEach((b) => b.setAttribute("aria-pressed", "false"));
    button.setAttribute("aria-pressed", on || group.dataset.mode === "single" ? "true" : "false");
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && Quorum.isTextField(document.activeElement)) { document.activeElement.blur(); return; }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); save(); return; }
    if (!Quorum.shortcutActs(event)) return;
    const keyed = task.querySelector(`[data-key="${CSS.escape(event.key)}"]`);
    if (keyed) { event.preventDefault(); keyed.click(); }
  });
  document.getElementById("save-edit").addEventListener("click", save);

  async function save() {
    if (busy) return;
    let answer;
    try { answer = Quorum.widgets[type].collect(task); } catch (e) { showError(e.message); return; }
    busy = true;
    showError("");
    try {
      const headers = { "Content-Type": "application/json", "X-CSRF-Token": csrf };
      const spent = Math.round(performance.now() - started);
      const response = await fetch(`/api/v1/judgments/${task.dataset.judgment}`, {
        method: "PATCH", credentials: "same-origin", headers,
        body: JSON.stringify({ answer, time_spent_ms: spent }),
      });
      const data = await response.json();
      if (!response.ok) { showError((data.error && data.error.message) || response.statusText); return; }
      saved.textContent = `Saved: your answer is now version ${data.judgment.versions + 1}.`;
      saved.hidden = false;
      document.getElementById("current-answer").textContent = JSON.stringify(data.judgment.answer, null, 2);
      // The form as saved becomes the one this page (and the next edit) starts from.
      fetch(`/api/v1/assignments/${task.dataset.assignment}/draft`, {
        method: "PUT", credentials: "same-origin", headers,
        body: JSON.stringify({ state: Quorum.formState.snapshot(task, type), active_ms: 0 }),
      });
    } catch (e) {
      showError("Network problem: " + e.message + ". Your changes are still here; try again.");
    } finally {
      busy = false;
    }
  }

  fetch(`/api/v1/assignments/${task.dataset.assignment}/draft`, { credentials: "same-origin" })
    .then((r) => (r.status === 200 ? r.json() : null))
    .then((draft) => { if (draft) Quorum.formState.restore(task, type, draft.state); })
    .catch(() => {});
})();
