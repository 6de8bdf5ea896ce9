// A model's critique comments, decided one at a time: keep, edit or delete (buttons, or Shift+K/E/D under
// Quorum.shortcutActs). Each decision is a fate sent with the submit (critique_fates); in a critique
// project a kept or edited comment also becomes an issue of the answer, added to the widget's issue list.
(function () {
  "use strict";
  const Quorum = (window.Quorum = window.Quorum || { widgets: {} });

  function panel() {
    return document.querySelector("#task [data-critique]");
  }
  function current(section) {
    return section.querySelector(".critique-list > li:not([data-fate])");
  }
  function editing(li) {
    return li && !li.querySelector("[data-critique-editor]").hidden;
  }
  // Python string indexes (code points) -> JavaScript's UTF-16 offsets, for the critique widget's marks.
  function u16(text, codePoints) {
    return Array.from(text).slice(0, codePoints).join("").length;
  }

  function addIssue(li, comment) {
    const root = document.querySelector('#task[data-task-type="critique"]');
    const list = root && root.querySelector(".issue-list");
    const pre = root && root.querySelector("pre[data-response]");
    if (!list || !pre) return;
    const text = pre._raw === undefined ? pre.textContent : pre._raw;
    const item = document.createElement("li");
    Object.assign(item.dataset, {
      start: li.dataset.start,
      end: li.dataset.end,
      u16Start: String(u16(text, Number(li.dataset.start))),
      u16End: String(u16(text, Number(li.dataset.end))),
      quote: li.dataset.quote,
      severity: li.dataset.severity,
      category: "",
      comment,
      fromCritique: li.dataset.index,
    });
    const summary = document.createElement("span");
    summary.textContent = `[${li.dataset.severity}] “${li.dataset.quote}” (${li.dataset.start}..${li.dataset.end}): ${comment} `;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.dataset.issueAction = "delete";
    remove.textContent = "Delete";
    item.append(summary, remove);
    list.append(item);
    root.querySelectorAll("[data-group=no_issues] [aria-pressed]").forEach((b) => b.setAttribute("aria-pressed", "false"));
  }

  function decide(section, li, fate) {
    const input = li.querySelector("[data-critique-edit]");
    if (fate === "edited") {
      const text = input.value.trim();
      if (!text) { input.focus(); return; }
      li.dataset.edited = text;
    }
    li.dataset.fate = fate;
    li.hidden = true;
    if (fate !== "deleted") addIssue(li, fate === "edited" ? li.dataset.edited : li.dataset.comment);
    const next = current(section);
    const left = section.querySelectorAll(".critique-list > li:not([data-fate])").length;
    section.querySelector("[data-critique-left]").textContent = String(left);
    if (next) next.hidden = false;
    else section.querySelector("[data-critique-done]").hidden = false;
    if (document.activeElement === input) input.blur();
  }

  function edit(li) {
    li.querySelector("[data-critique-editor]").hidden = false;
    li.querySelector("[data-critique-text]").hidden = true;
    const input = li.querySelector("[data-critique-edit]");
    input.focus();
    input.select();
  }

  function act(action) {
    const section = panel();
    const li = section && current(section);
    if (!li) return false;
    if (action === "keep") decide(section, li, editing(li) ? "edited" : "kept");
    else if (action === "edit") { if (editing(li)) decide(section, li, "edited"); else edit(li); }
    else if (action === "delete") decide(section, li, "deleted");
    return true;
  }

  Quorum.submitParts = Quorum.submitParts || [];
  Quorum.submitParts.push(function (root) {
    const section = root && root.querySelector("[data-critique]");
    if (!section) return {};
    const li = current(section);
    if (editing(li)) throw new Error("Save the comment you are editing (Enter) or press Esc first.");
    const fates = Array.from(section.querySelectorAll(".critique-list > li[data-fate]")).map((el) => {
      const fate = { index: Number(el.dataset.index), fate: el.dataset.fate };
      if (el.dataset.fate === "edited") fate.comment = el.dataset.edited;
      return fate;
    });
    return { critique_fates: fates };
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("[data-critique-action]");
    if (!button || !panel() || !panel().contains(button)) return;
    act(button.dataset.critiqueAction);
  });

  // Registered before the workspace's key handler (this script loads first): keys handled here stop there.
  document.addEventListener("keydown", (event) => {
    const section = panel();
    const li = section && current(section);
    if (!li || Quorum.dialogOpen()) return;
    const stop = () => { event.preventDefault(); event.stopImmediatePropagation(); };
    if (editing(li) && document.activeElement === li.querySelector("[data-critique-edit]")) {
      if (event.key === "Enter" && !event.ctrlKey && !event.metaKey) { stop(); decide(section, li, "edited"); }
      else if (event.key === "Escape") {
        stop();
        li.querySelector("[data-critique-editor]").hidden = true;
        li.querySelector("[data-critique-text]").hidden = false;
        document.activeElement.blur();
      }
      return;
    }
    if (!event.shiftKey || !Quorum.shortcutActs(event)) return;
    const action = { K: "keep", E: "edit", D: "delete" }[event.key];
    if (action) { stop(); act(action); }
  });
})();
