// Editing an earlier answer: the task type's own form, filled from the answer as it now stands (by the
// type's fill.js, the filler the review page uses too), saved as a new version of the judgment through
// PATCH /api/v1/judgments/{id}. Keys follow the workspace's: the shared rule (keys.js) for letters, Esc
// leaves a field, Ctrl/Cmd+Enter saves from anywhere.
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

  task.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-value]");
    if (button) Quorum.pressChoice(button);
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && Quorum.isTextField(document.activeElement)) { document.activeElement.blur(); return; }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); save(); return; }
    if (!Quorum.shortcutActs(event)) return;
    const keyed = task.querySelector(`[data-key="${CSS.escape(event.key)}"]`);
    if (keyed) { event.preventDefault(); Quorum.pressChoice(keyed); }
  });
  document.getElementById("save-edit").addEventListener("click", save);

  async function save() {
    if (busy) return;
    let answer;
    try { answer = Quorum.widgets[type].collect(task); } catch (e) { showError(e.message); return; }
    busy = true;
    showError("");
    try {
      const response = await fetch(`/api/v1/judgments/${task.dataset.judgment}`, {
        method: "PATCH",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ answer, time_spent_ms: Math.round(performance.now() - started) }),
      });
      const data = await response.json();
      if (!response.ok) { showError((data.error && data.error.message) || response.statusText); return; }
      saved.textContent = `Saved: your answer is now version ${data.judgment.versions + 1}.`;
      saved.hidden = false;
      document.getElementById("current-answer").textContent = JSON.stringify(data.judgment.answer, null, 2);
    } catch (e) {
      showError("Network problem: " + e.message + ". Your changes are still here; try again.");
    } finally {
      busy = false;
    }
  }

  Quorum.fillers[type](task, JSON.parse(task.dataset.answer));
})();
