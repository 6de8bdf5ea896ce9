// critique: issues anchored to exact spans of the raw response shown in <pre data-response>. Offsets sent to
// the server are code-point indexes into that text (Python's str indexes), computed from the selection's
// Range, so marks drawn inside the <pre> never shift them. Keys: v moves into the response (arrows move,
// Shift+arrows select, Home/End), i adds an issue on the selection, 1-9 severity, t category, c comment,
// Enter saves, Esc cancels, 0 toggles "no issues".
(function () {
  "use strict";
  const Quorum = (window.Quorum = window.Quorum || { widgets: {} });

  function task() {
    return document.querySelector('#task[data-task-type="critique"]');
  }
  function preOf(root) {
    return root.querySelector("pre[data-response]");
  }
  function raw(pre) {
    if (pre._raw === undefined) pre._raw = pre.textContent;
    return pre._raw;
  }
  function field(root, name) {
    return root.querySelector(`[data-field="${name}"]`);
  }
  // UTF-16 offsets (JavaScript) <-> code points (Python).
  function toCodePoints(text, u16) {
    return Array.from(text.slice(0, u16)).length;
  }
  function lineStart(text, pos) {
    return pos <= 0 ? 0 : text.lastIndexOf("\n", pos - 1) + 1;
  }
  function lineEnd(text, pos) {
    const end = text.indexOf("\n", pos);
    return end < 0 ? text.length : end;
  }

  // The UTF-16 offset in the raw text of a DOM point inside the <pre>.
  function offsetOf(pre, node, offset) {
    const range = document.createRange();
    range.setStart(pre, 0);
    range.setEnd(node, offset);
    return range.toString().length;
  }
  // The DOM point of a UTF-16 offset (walking the text nodes, marks included).
  function pointAt(pre, pos) {
    const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
    let seen = 0;
    let node = walker.nextNode();
    let last = null;
    while (node) {
      if (pos <= seen + node.length) return [node, pos - seen];
      seen += node.length;
      last = node;
      node = walker.nextNode();
    }
    return last ? [last, last.length] : [pre, 0];
  }

  // The current selection as [start, end) UTF-16 offsets, trimmed of surrounding white space.
  function selectedSpan(root) {
    const pre = preOf(root);
    const sel = window.getSelection();
    if (!pre || !sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
    const range = sel.getRangeAt(0);
    if (!pre.contains(range.startContainer) || !pre.contains(range.endContainer)) return null;
    const text = raw(pre);
    let start = offsetOf(pre, range.startContainer, range.startOffset);
    let end = offsetOf(pre, range.endContainer, range.endOffset);
    while (start < end && /\s/.test(text[start])) start += 1;
    while (end > start && /\s/.test(text[end - 1])) end -= 1;
    return end > start ? [start, end] : null;
  }

  function issues(root) {
    return Array.from(root.querySelectorAll(".issue-list > li"));
  }

  // Marks the issues' spans inside the <pre> with <mark> (overlaps merged); the text itself is unchanged.
  function drawMarks(root) {
    const pre = preOf(root);
    const text = raw(pre);
    const spans = issues(root).map((li) => [Number(li.dataset.u16Start), Number(li.dataset.u16End)])
      .sort((a, b) => a[0] - b[0]);
    const merged = [];
    spans.forEach(([s, e]) => {
      const top = merged[merged.length - 1];
      if (top && s <= top[1]) top[1] = Math.max(top[1], e);
      else merged.push([s, e]);
    });
    pre.replaceChildren();
    let at = 0;
    merged.forEach(([s, e]) => {
      if (s > at) pre.append(document.createTextNode(text.slice(at, s)));
      const mark = document.createElement("mark");
      mark.textContent = text.slice(s, e);
      pre.append(mark);
      at = e;
    });
    if (at < text.length || text.length === 0) pre.append(document.createTextNode(text.slice(at)));
  }

  // ---- keyboard selection inside the <pre> -------------------------------------------------------------
  function showCursor(root, pre) {
    const text = raw(pre);
    const { anchor, focus } = pre._caret;
    const line = text.slice(0, focus).split("\n").length;
    const column = focus - lineStart(text, focus) + 1;
    const n = Array.from(text.slice(Math.min(anchor, focus), Math.max(anchor, focus))).length;
    field(root, "cursor").textContent = `Cursor at line ${line}, column ${column}` +
      (n ? ` · ${n} characters selected (i adds an issue)` : " · Shift+arrows select");
    const sel = window.getSelection();
    const [an, ao] = pointAt(pre, anchor);
    const [fn, fo] = pointAt(pre, focus);
    sel.setBaseAndExtent(an, ao, fn, fo);
  }

  function enterResponse(root) {
    const pre = preOf(root);
    if (!pre) return;
    const span = selectedSpan(root);
    const text = raw(pre);
    pre._caret = span ? { anchor: span[0], focus: span[1] } : pre._caret || { anchor: 0, focus: 0 };
    pre._caret.anchor = Math.min(pre._caret.anchor, text.length);
    pre._caret.focus = Math.min(pre._caret.focus, text.length);
    pre.focus();
    showCursor(root, pre);
  }

  function moveCaret(root, pre, key, extend) {
    const text = raw(pre);
    const caret = pre._caret || { anchor: 0, focus: 0 };
    let pos = caret.focus;
    const high = (i) => i > 0 && i < text.length && /[\uDC00-\uDFFF]/.test(text[i]);
    if (key === "ArrowLeft") { pos = Math.max(0, pos - 1); if (high(pos)) pos -= 1; }
    else if (key === "ArrowRight") { pos = Math.min(text.length, pos + 1); if (high(pos)) pos += 1; }
    else if (key === "Home") pos = lineStart(text, pos);
    else if (key === "End") pos = lineEnd(text, pos);
    else if (key === "ArrowUp" || key === "ArrowDown") {
      const start = lineStart(text, pos);
      const column = pos - start;
      if (key === "ArrowUp") {
        if (start === 0) pos = 0;
        else { const prev = lineStart(text, start - 1); pos = Math.min(prev + column, start - 1); }
      } else {
        const end = lineEnd(text, pos);
        if (end >= text.length) pos = text.length;
        else { const next = end + 1; pos = Math.min(next + column, lineEnd(text, next)); }
      }
    } else return false;
    pre._caret = { anchor: extend ? caret.anchor : pos, focus: pos };
    showCursor(root, pre);
    return true;
  }

  // ---- the issue editor ----------------------------------------------------------------------------------
  function editorOf(root) {
    return root.querySelector(".issue-editor");
  }

  // The last mouse selection in the response (kept by the mouseup handler), for when a click elsewhere
  // took the live selection away before "add an issue" was pressed.
  function lastMouseSpan(root) {
    const pre = preOf(root);
    if (!pre || !pre._caret || pre._caret.anchor === pre._caret.focus) return null;
    const text = raw(pre);
    let start = Math.min(pre._caret.anchor, pre._caret.focus);
    let end = Math.max(pre._caret.anchor, pre._caret.focus);
    while (start < end && /\s/.test(text[start])) start += 1;
    while (end > start && /\s/.test(text[end - 1])) end -= 1;
    return end > start ? [start, end] : null;
  }

  function openEditor(root, fromButton) {
    const span = selectedSpan(root) || (fromButton ? lastMouseSpan(root) : null);
    const hint = field(root, "hint");
    if (!span) {
      hint.textContent = "Select a span of the response first: with the mouse, or press v and use Shift+arrows.";
      return;
    }
    hint.textContent = "";
    const pre = preOf(root);
    const text = raw(pre);
    const editor = editorOf(root);
    editor.dataset.u16Start = String(span[0]);
    editor.dataset.u16End = String(span[1]);
    editor.dataset.start = String(toCodePoints(text, span[0]));
    editor.dataset.end = String(toCodePoints(text, span[1]));
    editor.dataset.returnTo = document.activeElement === pre ? "response" : "";
    field(root, "quote").textContent = text.slice(span[0], span[1]);
    field(root, "span").textContent = `(characters ${editor.dataset.start}..${editor.dataset.end})`;
    field(root, "editor-error").textContent = "";
    editor.querySelectorAll("[data-group=severity] [aria-pressed]").forEach((b) => b.setAttribute("aria-pressed", "false"));
    const category = field(root, "category");
    if (category) category.value = "";
    field(root, "comment").value = "";
    editor.hidden = false;
    editor.focus();
  }

  function closeEditor(root) {
    const editor = editorOf(root);
    editor.hidden = true;
    const pre = preOf(root);
    if (editor.dataset.returnTo === "response" && pre) {
      pre.focus();
      if (pre._caret) showCursor(root, pre);
    } else if (document.activeElement && editor.contains(document.activeElement)) {
      document.activeElement.blur();
    }
  }

  function saveIssue(root) {
    const editor = editorOf(root);
    const error = field(root, "editor-error");
    const [severity] = Quorum.pressed(root, "severity");
    const comment = field(root, "comment").value.trim();
    if (!severity) { error.textContent = "Choose a severity (number keys)."; return; }
    if (!comment) { error.textContent = "Say what is wrong (c, then type)."; field(root, "comment").focus(); return; }
    const category = field(root, "category");
    addItem(root, {
      start: editor.dataset.start,
      end: editor.dataset.end,
      u16Start: editor.dataset.u16Start,
      u16End: editor.dataset.u16End,
      quote: field(root, "quote").textContent,
      severity,
      category: category ? category.value : "",
      comment,
    });
    root.querySelectorAll("[data-group=no_issues] [aria-pressed]").forEach((b) => b.setAttribute("aria-pressed", "false"));
    drawMarks(root);
    closeEditor(root);
  }

  // One issue in the list, from its data (all strings, as kept in the li's dataset).
  function addItem(root, data) {
    const li = document.createElement("li");
    Object.assign(li.dataset, data);
    const { severity, comment } = data;
    const summary = document.createElement("span");
    summary.textContent = `[${severity}${li.dataset.category ? ", " + li.dataset.category : ""}] ` +
      `“${li.dataset.quote}” (${li.dataset.start}..${li.dataset.end}): ${comment} `;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.dataset.issueAction = "delete";
    remove.textContent = "Delete";
    remove.setAttribute("aria-label", `Delete the issue on “${li.dataset.quote}”`);
    li.append(summary, remove);
    root.querySelector(".issue-list").append(li);
  }

  function deleteIssue(root, li) {
    li.remove();
    drawMarks(root);
  }

  // Registered before the workspace's key handler (widget scripts load first): keys handled here stop there.
  document.addEventListener("keydown", (event) => {
    const root = task();
    if (!root || !preOf(root)) return;
    if (Quorum.dialogOpen()) return;
    const active = document.activeElement;
    const editor = editorOf(root);
    const stop = () => { event.preventDefault(); event.stopImmediatePropagation(); };
    if (!editor.hidden) {
      if (event.key === "Escape") { stop(); closeEditor(root); return; }
      if (event.key === "Enter" && !event.ctrlKey && !event.metaKey) {
        stop();
        if (active && active.dataset && active.dataset.issueAction === "cancel") closeEditor(root);
        else saveIssue(root);
        return;
      }
      if (!Quorum.shortcutActs(event)) return;
      const buttons = editor.querySelectorAll("[data-group=severity] [data-value]");
      const number = Number(event.key);
      if (/^[1-9]$/.test(event.key) && number <= buttons.length) {
        stop();
        buttons.forEach((b, i) => b.setAttribute("aria-pressed", i === number - 1 ? "true" : "false"));
        field(root, "editor-error").textContent = "";
      } else if (event.key === "c") {
        stop();
        field(root, "comment").focus();
      } else if (event.key === "t" && field(root, "category")) {
        stop();
        const select = field(root, "category");
        select.selectedIndex = (select.selectedIndex + 1) % select.options.length;
      }
      return;
    }
    if (event.key === "Enter" && active && active.dataset && active.dataset.issueAction === "delete") {
      stop();
      const li = active.closest("li");
      const next = li.nextElementSibling || li.previousElementSibling;
      deleteIssue(root, li);
      if (next) next.querySelector("button").focus();
      return;
    }
    if (!Quorum.shortcutActs(event)) return;
    const pre = preOf(root);
    if (active === pre && moveCaret(root, pre, event.key, event.shiftKey)) { stop(); return; }
    if (event.shiftKey && event.key.length > 1) return;
    if (event.key === "v") { stop(); enterResponse(root); }
    else if (event.key === "i") { stop(); openEditor(root); }
  });

  document.addEventListener("click", (event) => {
    const root = task();
    const button = event.target.closest && event.target.closest("[data-issue-action]");
    if (!root || !button || !root.contains(button)) return;
    const action = button.dataset.issueAction;
    if (action === "add") openEditor(root, true);
    else if (action === "save") saveIssue(root);
    else if (action === "cancel") closeEditor(root);
    else if (action === "delete") deleteIssue(root, button.closest("li"));
  });

  // Pressing the "add issue" button must not take the selection away from the response.
  document.addEventListener("mousedown", (event) => {
    if (event.target.closest && event.target.closest("[data-issue-action=add]")) event.preventDefault();
  });

  // A mouse selection moves the keyboard caret too, so Shift+arrows can adjust it.
  document.addEventListener("mouseup", () => {
    const root = task();
    const pre = root && preOf(root);
    const sel = window.getSelection();
    if (!pre || !sel || sel.rangeCount === 0 || !pre.contains(sel.anchorNode) || !pre.contains(sel.focusNode)) return;
    pre._caret = {
      anchor: offsetOf(pre, sel.anchorNode, sel.anchorOffset),
      focus: offsetOf(pre, sel.focusNode, sel.focusOffset),
    };
  });

  Quorum.widgets.critique = {
    keys: [
      ["v", "move into the response (arrows move, Shift+arrows select, Home / End)"],
      ["i", "add an issue on the selection (or the “Add an issue” button)"],
      ["1 … 9", "in an issue: its severity"],
      ["t", "in an issue: next category"],
      ["c", "in an issue: to the comment box"],
      ["Enter Esc", "in an issue: save / cancel it"],
      ["0", "the response has no issues"],
    ],
    snapshot(root) {
      return { issues: issues(root).map((li) => Object.assign({}, li.dataset)) };
    },
    restore(root, data) {
      if (!data || !Array.isArray(data.issues)) return;
      root.querySelector(".issue-list").replaceChildren();
      const keys = ["start", "end", "u16Start", "u16End", "quote", "severity", "category", "comment"];
      data.issues.forEach((issue) => {
        const clean = {};
        keys.forEach((k) => { clean[k] = String(issue[k] === undefined ? "" : issue[k]); });
        addItem(root, clean);
      });
      drawMarks(root);
    },
    collect(root) {
      if (!editorOf(root).hidden) throw new Error("Save the issue you are editing (Enter) or cancel it (Esc) first.");
      const noIssues = Quorum.pressed(root, "no_issues").includes("true");
      const list = issues(root).map((li) => ({
        quote: li.dataset.quote,
        start: Number(li.dataset.start),
        end: Number(li.dataset.end),
        severity: li.dataset.severity,
        category: li.dataset.category || null,
        comment: li.dataset.comment,
      }));
      if (noIssues && list.length) throw new Error("You marked “no issues” but listed some: delete them or press 0.");
      if (!noIssues && !list.length) throw new Error("Add an issue (select a span, then i) or press 0 for no issues.");
      return { no_issues: noIssues, issues: list };
    },
  };
})();
