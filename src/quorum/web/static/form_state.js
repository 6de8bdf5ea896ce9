// The state of a task type's form as plain JSON, and back: what a draft keeps. Generic for the fields and
// choice buttons every form has (in document order: the same item renders the same form again); a widget
// with state of its own (a ranking's order, a critique's issues) adds snapshot(root)/restore(root, data).
(function () {
  "use strict";
  const Quorum = (window.Quorum = window.Quorum || { widgets: {} });
  const CONTROLS = "input, textarea, select";

  // The values of the pressed buttons of a choice group: every widget's collect() reads its choices so.
  Quorum.pressed = function (root, group) {
    const box = root.querySelector(`[data-group="${CSS.escape(group)}"]`);
    if (!box) return [];
    return Array.from(box.querySelectorAll("[aria-pressed=true]")).map((b) => b.dataset.value);
  };

  // Press exactly ``values`` in a choice group (the review page's fillers, a model's prefill).
  Quorum.press = function (root, group, values) {
    const box = root.querySelector(`[data-group="${CSS.escape(group)}"]`);
    if (!box) return;
    const wanted = new Set((Array.isArray(values) ? values : [values]).map(String));
    box.querySelectorAll("[data-value]").forEach((b) => {
      b.setAttribute("aria-pressed", wanted.has(b.dataset.value) ? "true" : "false");
    });
  };

  // A click or key on a choice button: single groups keep one pressed, others toggle.
  Quorum.pressChoice = function (button) {
    const group = button.closest("[data-group]");
    if (!group) return;
    const on = button.getAttribute("aria-pressed") !== "true";
    if (group.dataset.mode === "single") {
      group.querySelectorAll("[aria-pressed]").forEach((b) => b.setAttribute("aria-pressed", "false"));
    }
    button.setAttribute("aria-pressed", on || group.dataset.mode === "single" ? "true" : "false");
  };

  function form(root) {
    return root.querySelector(".answer-form") || root;
  }

  Quorum.formState = {
    snapshot(root, type) {
      const box = form(root);
      const state = {
        fields: Array.from(box.querySelectorAll(CONTROLS)).map((el) =>
          el.type === "checkbox" || el.type === "radio" ? el.checked : el.value),
        pressed: Array.from(box.querySelectorAll("[aria-pressed]")).map((b) => b.getAttribute("aria-pressed") === "true"),
      };
      const widget = Quorum.widgets[type];
      if (widget && widget.snapshot) state.widget = widget.snapshot(root);
      return state;
    },

    restore(root, type, state) {
      if (!state || typeof state !== "object") return;
      const box = form(root);
      const fields = Array.from(box.querySelectorAll(CONTROLS));
      (state.fields || []).forEach((value, i) => {
        const el = fields[i];
        if (!el) return;
        if (el.type === "checkbox" || el.type === "radio") el.checked = value === true;
        else if (typeof value === "string") el.value = value;
        el.dispatchEvent(new Event("input", { bubbles: true }));
      });
      const buttons = Array.from(box.querySelectorAll("[aria-pressed]"));
      (state.pressed || []).forEach((on, i) => {
        if (buttons[i]) buttons[i].setAttribute("aria-pressed", on ? "true" : "false");
      });
      const widget = Quorum.widgets[type];
      if (widget && widget.restore && state.widget !== undefined) widget.restore(root, state.widget);
    },
  };

  // The keys of the help dialog: the general ones are in the page; these are this task type's (declared by
  // its widget as [[keys, what they do], ...]) and this item's keyed choices (each button's own key).
  Quorum.fillKeys = function (table, root, type) {
    table.replaceChildren();
    const rows = [];
    const widget = Quorum.widgets[type];
    (widget && widget.keys ? widget.keys : []).forEach(([keys, what]) => rows.push([keys, what]));
    const seen = new Set();
    root.querySelectorAll("[data-key]").forEach((b) => {
      const label = b.textContent.replace(/\s+/g, " ").trim().replace(new RegExp("^" + b.dataset.key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "\\s*"), "");
      const row = `${b.dataset.key}:${label}`;
      if (seen.has(row)) return;
      seen.add(row);
      rows.push([b.dataset.key, label]);
    });
    rows.forEach(([keys, what]) => {
      const tr = document.createElement("tr");
      const k = document.createElement("td");
      String(keys).split(" ").forEach((key, i) => {
        if (i) k.append(" ");
        const kbd = document.createElement("kbd");
        kbd.textContent = key;
        k.append(kbd);
      });
      const w = document.createElement("td");
      w.textContent = what;
      tr.append(k, w);
      table.append(tr);
    });
    return rows.length;
  };
})();
