// The workspace's progress card: today, in all, what the queue has left for you and your mean time, from
// the server (so a reload shows the same), refreshed after each submit and each new item; and your last answers, each a link
// to its edit page.
(function () {
  "use strict";
  const card = document.getElementById("progress");
  if (!card) return;
  const project = card.dataset.project;
  const offset = -new Date().getTimezoneOffset();

  function seconds(ms) {
    if (ms === null || ms === undefined) return "–";
    const s = ms / 1000;
    return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  }

  async function refresh() {
    try {
      const [p, r] = await Promise.all([
        fetch(`/api/v1/projects/${project}/progress?tz_offset_minutes=${offset}`, { credentials: "same-origin" }),
        fetch(`/api/v1/projects/${project}/my-judgments?limit=10`, { credentials: "same-origin" }),
      ]);
      if (p.ok) {
        const data = await p.json();
        document.getElementById("progress-today").textContent = String(data.done_today);
        document.getElementById("progress-total").textContent = String(data.done_total);
        document.getElementById("progress-left").textContent = String(data.queue_left);
        document.getElementById("progress-average").textContent = seconds(data.average_ms);
      }
      if (r.ok) {
        const list = document.getElementById("recent-list");
        const rows = await r.json();
        list.replaceChildren(...rows.map((j) => {
          const li = document.createElement("li");
          const a = document.createElement("a");
          a.href = `/projects/${project}/work/judgments/${j.id}`;
          a.textContent = `Item ${j.external_id}`;
          li.append(a);
          if (j.versions) li.append(` (edited ${j.versions}×)`);
          return li;
        }));
        document.getElementById("recent-empty").hidden = rows.length > 0;
      }
    } catch (e) { /* the card keeps its last numbers */ }
  }

  document.addEventListener("quorum:submitted", () => setTimeout(refresh, 50));
  // Each new lease changes what the queue has left: counted once the item is held, not before.
  document.addEventListener("quorum:item", refresh);
  refresh();
})();
