// The annotator workspace: loads items as server-rendered fragments, submits with an idempotency key, and
// drives everything from the keyboard. Never loses work: the form is kept as a server-side draft a moment
// after each change (restored on reload), the lease is extended by a heartbeat while the person works, and
// only visible, active time is counted (kept with the draft). Task types plug in through
// Quorum.widgets[name]: collect(root) (required), keys, snapshot(root)/restore(root, data) (optional).
// Other scripts hook in through Quorum.onItem(fn) (called with the #task element of each new item) and the
// document events "quorum:item" and "quorum:submitted"; nothing here knows about any one type.
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
  const draftStatus = document.getElementById("draft-status");
  const keysTable = document.getElementById("type-keys");
  let current = null; // {id, expires, key, type, expired, activeMs, savedMs, beatEvery, lastBeat}
  let busy = false;
  let done = 0;
  let reasonMode = "skip";
  // Idle detection: no input for this long and the time stops counting (and the lease is not extended).
  const IDLE_MS = 60 * 1000;
  const DRAFT_DELAY_MS = 600;
  let lastInput = Date.now();
  let workedSinceBeat = false;
  let clock = performance.now();
  let draftTimer = null;
  const itemHooks = [];

  Quorum.onItem = function (fn) { itemHooks.push(fn); };
  // Read-only view for other scripts (and tests): the current assignment and its active time so far.
  Quorum.workspace = {
    assignment: () => (current ? current.id : null),
    activeMs: () => { accrue(); return current ? Math.round(current.activeMs) : 0; },
  };

  // Quorum.pressed(root, group) (form_state.js) reads a choice group's pressed values.

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
      const expires = Date.parse(task.dataset.expires);
      current = {
        id: task.dataset.assignment,
        expires,
        key: `${task.dataset.assignment}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
        type: task.dataset.taskType,
        expired: false,
        activeMs: 0,
        savedMs: 0,
        // A third of the lease left, at most a minute: a beat or two can be lost before it runs out.
        beatEvery: Math.min(60000, Math.max(1000, (expires - Date.now()) / 3)),
        lastBeat: Date.now(),
        touched: false, // any key, click or typing on this item: a late draft restore stays out of the way
      };
      clock = performance.now();
      lastInput = Date.now();
      workedSinceBeat = false;
      draftStatus.textContent = "";
      Quorum.fillKeys(keysTable, task, current.type);
      setEnabled(true);
      area.scrollTop = 0;
      tick();
      // Not awaited: the person may start at once (a restore never overwrites what they did meanwhile).
      restoreDraft(current).finally(() => {
        itemHooks.forEach((fn) => fn(task));
        document.dispatchEvent(new CustomEvent("quorum:item", { detail: { task } }));
      });
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
    accrue();
    const spent = Math.max(0, Math.round(current.activeMs));
    clearTimeout(draftTimer);
    saveDraft(); // the form as submitted stays with the judgment, for editing it later (not awaited)
    try {
      const response = await post(`/api/v1/assignments/${current.id}/submit`,
        { ...extras, answer, time_spent_ms: spent }, { "Idempotency-Key": current.key });
      if (response.status === 201) {
        const late = current.expired;
        done += 1;
        document.getElementById("done-count").textContent = `Done this session: ${done}`;
        document.dispatchEvent(new CustomEvent("quorum:submitted", { detail: { assignment: current.id } }));
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

  function scheduleDraft() {
    if (!current) return;
    clearTimeout(draftTimer);
    draftTimer = setTimeout(() => saveDraft(), DRAFT_DELAY_MS);
  }

  // Never blocks the person: a failed save is said quietly and the next change tries again.
  async function saveDraft(leaving) {
    const held = current;
    const task = document.getElementById("task");
    if (!held || !task || task.dataset.assignment !== held.id) return;
    const body = { state: Quorum.formState.snapshot(task, held.type), active_ms: Math.round(held.activeMs) };
    held.savedMs = held.activeMs;
    try {
      const response = await fetch(`/api/v1/assignments/${held.id}/draft`, {
        method: "PUT",
        credentials: "same-origin",
        keepalive: leaving === true,
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify(body),
      });
      if (held === current) draftStatus.textContent = response.ok ? "Draft saved" : "Draft not saved";
    } catch (e) {
      if (held === current) draftStatus.textContent = "Draft not saved (offline?)";
    }
  }

  async function restoreDraft(held) {
    try {
      const response = await fetch(`/api/v1/assignments/${held.id}/draft`, { credentials: "same-origin" });
      if (response.status !== 200 || held !== current) return;
      const draft = await response.json();
      if (held !== current || held.touched) return;
      Quorum.formState.restore(document.getElementById("task"), held.type, draft.state);
      held.activeMs = Math.max(held.activeMs, draft.active_ms);
      held.savedMs = held.activeMs;
      draftStatus.textContent = "Draft restored";
    } catch (e) { /* no draft: the form starts empty */ }
  }

  area.addEventListener("input", scheduleDraft);
  area.addEventListener("change", scheduleDraft);
  // Widgets change their state on clicks and keys: after either, the draft is refreshed (debounced).
  area.addEventListener("click", scheduleDraft);
  document.addEventListener("keyup", (event) => { if (current && !Quorum.dialogOpen() && !event.repeat) scheduleDraft(); });

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

  // Adds the time since the last call to the item's active time, if the page was visible and in use.
  function accrue() {
    const now = performance.now();
    if (current && document.visibilityState === "visible" && Date.now() - lastInput < IDLE_MS) {
      current.activeMs += now - clock;
    }
    clock = now;
  }

  function markInput() {
    accrue();
    lastInput = Date.now();
    workedSinceBeat = true;
  }
  ["keydown", "pointerdown", "input", "wheel", "mousemove", "touchstart"].forEach((name) =>
    document.addEventListener(name, markInput, { capture: true, passive: true }));
  ["keydown", "pointerdown", "input"].forEach((name) =>
    document.addEventListener(name, () => { if (current) current.touched = true; }, { capture: true, passive: true }));
  document.addEventListener("visibilitychange", () => {
    accrue();
    if (document.visibilityState === "hidden") saveDraft(true);
  });
  window.addEventListener("pagehide", () => { accrue(); saveDraft(true); });

  async function heartbeat() {
    const held = current;
    held.lastBeat = Date.now();
    workedSinceBeat = false;
    try {
      const response = await post(`/api/v1/assignments/${held.id}/heartbeat`);
      if (response.ok && held === current) {
        const expires = Date.parse((await response.json()).expires_at);
        if (expires > held.expires) held.expires = expires;
      }
    } catch (e) { /* the next beat tries again; the countdown tells the truth meanwhile */ }
  }

  function tick() {
    if (!current || current.expired) return;
    accrue();
    if (workedSinceBeat && document.visibilityState === "visible" && Date.now() - current.lastBeat >= current.beatEvery) {
      heartbeat();
    }
    if (current.activeMs - current.savedMs > 15000) saveDraft();
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
    Quorum.pressChoice(button);
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
