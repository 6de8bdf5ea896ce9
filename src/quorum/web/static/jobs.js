// The jobs page: rows of jobs still running ask the API for their job every second and show its status,
// progress and, once it succeeded with a file, the download link. Text only: nothing from the API becomes
// markup.
(function () {
  "use strict";
  const POLL_MS = 1000;
  const FINISHED = ["succeeded", "failed", "cancelled"];

  function show(row, job) {
    const status = row.querySelector('[data-field="status"]');
    status.textContent = job.status;
    status.className = "badge " + job.status;
    const progress = job.progress.total === null ? String(job.progress.done) : job.progress.done + " / " + job.progress.total;
    row.querySelector('[data-field="progress"]').textContent = progress;
    const result = row.querySelector('[data-field="result"]');
    if (job.status === "succeeded" && job.result && job.result.blob) {
      const link = document.createElement("a");
      link.href = "/api/v1/jobs/" + job.id + "/download";
      link.textContent = job.result.filename;
      result.replaceChildren(link);
    } else if (job.status === "succeeded" && job.summary) {
      result.textContent = job.summary;
    } else if (job.error) {
      const error = document.createElement("span");
      error.className = "field-error";
      error.textContent = job.error;
      result.replaceChildren(error);
    }
    if (FINISHED.includes(job.status)) row.dataset.running = "no";
  }

  async function refresh() {
    const rows = document.querySelectorAll('tr[data-job][data-running="yes"]');
    for (const row of rows) {
      try {
        const response = await fetch("/api/v1/jobs/" + row.dataset.job, { credentials: "same-origin" });
        if (response.ok) show(row, await response.json());
      } catch (_error) {
        // The server is restarting or the network blinked: the next tick tries again.
      }
    }
    if (document.querySelector('tr[data-job][data-running="yes"]')) setTimeout(refresh, POLL_MS);
  }

  if (document.querySelector('tr[data-job][data-running="yes"]')) setTimeout(refresh, POLL_MS);
})();
