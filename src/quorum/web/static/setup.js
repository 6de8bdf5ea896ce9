// Project set-up (new-project and settings pages): the fields generated from the task type's config
// schema assemble the config JSON (the box that is posted), and the annotator view of an example item
// is previewed with that config, rendered by the server so content stays sanitised.
(function () {
  "use strict";
  const editor = document.getElementById("config-editor");
  const box = document.getElementById("config");
  const preview = document.getElementById("config-preview");
  if (!editor || !box || !preview) return;
  const select = document.getElementById("task-type");
  let timer = null;
  let asked = 0;

  function current() { return select ? select.value : editor.dataset.selected; }
  function block() { return editor.querySelector('.config-fields[data-type="' + current() + '"]'); }

  function fieldValue(el) {
    const kind = el.dataset.kind;
    if (kind === "bool") return el.checked;
    if (kind === "int" || kind === "number") {
      if (el.value.trim() === "") return el.dataset.nullable ? null : undefined;
      return Number(el.value);
    }
    if (kind === "lines") return el.value.split("\n").map((s) => s.trim()).filter((s) => s);
    if (kind === "json") {
      if (el.value.trim() === "") return undefined;
      try { return JSON.parse(el.value); } catch (e) { return el.value; }  // the server names the field
    }
    return el.value;
  }

  function assemble() {
    const config = {};
    const fields = block();
    if (!fields) return;
    fields.querySelectorAll("[data-cfg]").forEach((el) => {
      const value = fieldValue(el);
      if (value !== undefined) config[el.dataset.cfg] = value;
    });
    box.value = JSON.stringify(config, null, 2);
  }

  function refresh() {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const mine = ++asked;
      const url = "/ui/task-types/" + encodeURIComponent(current()) + "/preview?config=" + encodeURIComponent(box.value);
      try {
        const response = await fetch(url, { credentials: "same-origin" });
        const html = await response.text();
        if (mine === asked) preview.innerHTML = html;  // only the latest answer, whatever order they come in
      } catch (e) {
        if (mine === asked) preview.textContent = "The preview could not be loaded.";
      }
    }, 150);
  }

  editor.addEventListener("input", (event) => {
    if (event.target.closest(".preview")) return;
    if (event.target.dataset && event.target.dataset.cfg) assemble();
    refresh();
  });
  editor.addEventListener("change", (event) => {
    if (event.target.dataset && event.target.dataset.kind === "bool") { assemble(); refresh(); }
  });
  // The preview is a picture of the form: its buttons and keys do nothing here.
  preview.addEventListener("click", (event) => event.preventDefault());
  if (select) {
    select.addEventListener("change", () => {
      editor.querySelectorAll(".config-fields").forEach((el) => { el.hidden = el.dataset.type !== select.value; });
      assemble();
      refresh();
    });
  }
  refresh();
})();
