// The annotator workspace: loads items as server-rendered fragments, measures time spent, submits with
// an idempotency key, and drives everything from the keyboard. Task types plug in through
// Quorum.widgets[name].collect(root); nothing here knows about any one type.
(function () {
  "use strict";
  const Quorum = (window.Quorum = window.Quorum || { widgets: {} });
  const csrf = document.querySelector("meta[name=csrf-token]").content;
  const area = document.getElementById("task-area");
  const projectId = area.dataset.project;
  const errorBox = document.getElementById("work-error");
  const notice = document.getElementById("lease-notice");
  const noticeText = document.getElementById("lease-notice-text");
  const noticeNext = document.getElementById("lease-next");
  const countdown = document.getElementById("countdown");
  const buttons = {
    submit: document.getElementById("submit-button"),
    skip: document.getElementById("skip-button"),
    flag: document.getElementById("flag-button"),
  };
  const reasonDialog = document.getElementById("reason-dialog");
  const reasonInput = document.getElementById("reason-input");
  const helpDialog = document.getElementById("help-dialog");
  let current = null; // {id, expires, started, key, type, expired}
  let busy = false;
  let done = 0;
  let reasonMode = "skip";

  Quorum.pressed = function (root, group) {
    const box = root.querySelector(`[data-group="${CSS.escape(group)}"]`);
    if (!box) return [];
    return Array.from(box.querySelectorAll("[aria-pressed=true]")).map((b) => b.dataset.value);
  };

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = !message;
  }

  // The lease notice is apart from errors: a validation message must not wipe it, and only a new item does.
  function showNotice(message, offerNext) {
    noticeText.textContent = message;
    noticeNext.hidden = !offerNext;
    notice.hidden = !message;
  }

  function setEnabled(on) {
    Object.values(buttons).forEach((b) => { b.disabled = !on; });
  }

  async function post(url, body, headers) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: Object.assign({ "Content-Type": "application/json", "X-CSRF-Token": csrf }, headers || {}),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401) { window.location = "/login?next=" + encodeURIComponent(location.pathname); }
    return response;
  }

  async function errorMessage(response) {
    try {
      const data = await response.json();
      return (data.error && data.error.message) || response.statusText;
    } catch (e) {
      return response.statusText || "request failed";
    }
  }

  async function loadNext() {
    busy = true;
    setEnabled(false);
    showError("");
    showNotice("");
    try {
      const response = await post(`/ui/projects/${projectId}/next`);
      if (!response.ok) { showError(await errorMessage(response)); return; }
      area.innerHTML = await response.text();
      const task = document.getElementById("task");
      if (!task || task.dataset.empty) { current = null; countdown.textContent = ""; return; }
      current = {
        id: task.dataset.assignment,
        expires: Date.parse(task.dataset.expires),
        started: performance.now(),
        key: `${task.dataset.assignment}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
        type: task.dataset.taskType,
        expired: false,
      };
      setEnabled(true);
      if (Quorum.onItem) Quorum.onItem(task); // e.g. suggestion.js, where the project offers suggestions
      area.scrollTop = 0;
      tick();
    } catch (e) {
      showError("Network problem: " + e.message + ". Retrying in 3 s.");
      setTimeout(loadNext, 3000);
    } finally {
      busy = false;
    }
  }

  // ``given``: an answer submitted as it is (an accepted suggestion); otherwise the widget collects it.
  async function submit(given) {
    if (!current || busy) return;
    const widget = Quorum.widgets[current.type];
    let answer;
    let extras = {};
    try {
      answer = given || widget.collect(document.getElementById("task"));
      // Other parts of the page (a model's critique comments) add their own fields to the submit body.
      (Quorum.submitParts || []).forEach((part) => Object.assign(extras, part(document.getElementById("task"))));
    } catch (e) {
      showError(e.message);
      return;
    }
    busy = true;
    const spent = Math.max(0, Math.round(performance.now() - current.started));
    try {
      const response = await post(`/api/v1/assignments/${current.id}/submit`,
        { ...extras, answer, time_spent_ms: spent }, { "Idempotency-Key": current.key });
      if (response.status === 201) {
        const late = current.expired;
        done += 1;
        document.getElementById("done-count").textContent = `Done this session: ${done}`;
        busy = false;
        await loadNext();
        if (late) showNotice("Your late answer was saved: nobody had taken the item meanwhile.", false);
        return;
      }
      const message = await errorMessage(response);
      if (response.status === 409 && (current.expired || Date.now() >= current.expires)) {
        // The slot went to someone else: the answer stays on screen (to copy, or to retry should the slot
        // free up again) until the person moves on.
        expire();
        showNotice(message + ". Your answer stays here until you move on.", true);
        return;
      }
      if (response.status === 409) {
        showError(message + " Loading the next item…");
        busy = false;
        setTimeout(loadNext, 1200);
        return;
      }
      showError(message);
    } catch (e) {
      showError("Network problem: " + e.message + ". Your answer is kept; press Enter to retry.");
    } finally {
      busy = false;
    }
  }

  function openReason(mode) {
    if (!current) return;
    reasonMode = mode;
    document.getElementById("reason-title").textContent = mode === "flag" ? "Flag this item as broken" : "Skip this item";
    reasonInput.placeholder = mode === "flag" ? "what is wrong with it?" : "e.g. outside my expertise";
    reasonInput.value = "";
    reasonDialog.hidden = false;
    reasonInput.focus();
  }

  async function sendReason() {
    const reason = reasonInput.value.trim();
    if (reasonMode === "flag" && !reason) { reasonInput.focus(); return; }
    reasonDialog.hidden = true;
    if (!current) return;
    const response = await post(`/api/v1/assignments/${current.id}/${reasonMode}`, { reason });
    if (!response.ok && response.status !== 409) { showError(await errorMessage(response)); return; }
    await loadNext();
  }

  function closeDialogs() {
    reasonDialog.hidden = true;
    helpDialog.hidden = true;
  }

  function expire() {
    current.expired = true;
    countdown.textContent = "Lease expired";
    countdown.classList.add("low");
  }

  function tick() {
    if (!current || current.expired) return;
    const ms = current.expires - Date.now();
    if (ms <= 0) {
      // The server still takes a late answer while the item's slot is free, so nothing is thrown away here.
      expire();
      showNotice("Your time on this item ran out. Your answer is kept: submit it (Enter) and it still counts " +
        "if nobody else has taken the item, or leave it for the next item.", true);
      return;
    }
    // Rounded up: "0:00 left" never shows while the lease still runs, and expiry is never announced early.
    const left = Math.ceil(ms / 1000);
    const m = Math.floor(left / 60), s = left % 60;
    countdown.textContent = `${m}:${String(s).padStart(2, "0")} left`;
    countdown.classList.toggle("low", left <= 60);
  }
  setInterval(tick, 1000);

  function pressChoice(button) {
    const group = button.closest("[data-group]");
    if (!group) return;
    const on = button.getAttribute("aria-pressed") !== "true";
    if (group.dataset.mode === "single") {
      group.querySelectorAll("[aria-pressed]").forEach((b) => b.setAttribute("aria-pressed", "false"));
    }
    button.setAttribute("aria-pressed", on || group.dataset.mode === "single" ? "true" : "false");
    showError("");
  }

  area.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-value]");
    if (button) pressChoice(button);
  });

  document.addEventListener("click", (event) => {
    const target = event.target.closest("[data-action]");
    if (!target) return;
    const action = target.dataset.action;
    if (action === "submit") submit();
    else if (action === "skip") openReason("skip");
    else if (action === "flag") openReason("flag");
    else if (action === "next") { if (!busy) loadNext(); }
    else if (action === "help") { helpDialog.hidden = false; }
    else if (action === "close") closeDialogs();
  });

  document.getElementById("reason-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sendReason();
  });

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      if (Quorum.dialogOpen()) closeDialogs();
      else if (Quorum.isTextField(document.activeElement)) document.activeElement.blur();
      return;
    }
    if (Quorum.dialogOpen()) return;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      submit();
      return;
    }
    if (!Quorum.shortcutActs(event)) return;
    if (event.key === "Enter") {
      // A focused action button (skip, "next item", ...) does its own job; choice buttons submit.
      if (document.activeElement && document.activeElement.matches("button[data-action]")) return;
      event.preventDefault();
      submit();
      return;
    }
    if (event.key === "?") { helpDialog.hidden = false; return; }
    if (!current) return;
    if (event.key === "s") { event.preventDefault(); openReason("skip"); return; }
    if (event.key === "f") { event.preventDefault(); openReason("flag"); return; }
    const keyed = document.querySelector(`#task [data-key="${CSS.escape(event.key)}"]`);
    if (keyed) { event.preventDefault(); pressChoice(keyed); }
  });

  Quorum.submitAnswer = (answer) => submit(answer);

  loadNext();
})();
