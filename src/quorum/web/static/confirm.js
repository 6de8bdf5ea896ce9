// Destructive forms carry data-confirm="what will happen": submitting one first opens a dialog (Enter or
// the button confirms, Esc or Cancel keeps everything as it was); confirming sends confirmed=1, which the
// server wants before it acts (without it, it answers with a confirm page instead).
(function () {
  "use strict";
  let pending = null;
  let dialog = null;

  function build() {
    dialog = document.createElement("div");
    dialog.className = "dialog";
    dialog.id = "confirm-dialog";
    dialog.hidden = true;
    dialog.setAttribute("role", "alertdialog");
    dialog.setAttribute("aria-modal", "true");
    dialog.setAttribute("aria-labelledby", "confirm-dialog-text");
    const card = document.createElement("div");
    card.className = "card stack";
    const text = document.createElement("p");
    text.id = "confirm-dialog-text";
    const row = document.createElement("div");
    row.className = "row";
    const yes = document.createElement("button");
    yes.type = "button";
    yes.className = "danger";
    yes.id = "confirm-dialog-yes";
    const no = document.createElement("button");
    no.type = "button";
    no.id = "confirm-dialog-no";
    no.textContent = "Cancel";
    row.append(yes, no);
    card.append(text, row);
    dialog.append(card);
    document.body.append(dialog);
    yes.addEventListener("click", go);
    no.addEventListener("click", close);
  }

  function close() {
    dialog.hidden = true;
    const form = pending;
    pending = null;
    if (form) { const b = form.querySelector("[type=submit]"); if (b) b.focus(); }
  }

  function go() {
    const form = pending;
    if (!form) return;
    dialog.hidden = true;
    pending = null;
    let flag = form.querySelector("input[name=confirmed]");
    if (!flag) {
      flag = document.createElement("input");
      flag.type = "hidden";
      flag.name = "confirmed";
      form.append(flag);
    }
    flag.value = "1";
    form.submit();
  }

  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-confirm]");
    if (!form || (form.querySelector("input[name=confirmed]") || {}).value === "1") return;
    // A form with several actions asks only for those listed in data-confirm-actions; {action} and {count}
    // in its message name the chosen action and how many items it touches.
    let message = form.dataset.confirm;
    if (form.dataset.confirmActions) {
      const select = form.querySelector("select[name=action]");
      if (!select || !form.dataset.confirmActions.split(" ").includes(select.value)) return;
      const all = form.querySelector("input[name=all_matching]");
      const ticked = document.querySelectorAll(`input[name=ids][form="${form.id}"]:checked`).length;
      const count = all && all.checked ? all.parentElement.textContent.trim().split(" ")[1] : String(ticked);
      const verb = select.options[select.selectedIndex].text;
      message = message.replace("{action}", verb.charAt(0).toUpperCase() + verb.slice(1))
        .replace("{count}", `${count} item${count === "1" ? "" : "s"}`);
    }
    event.preventDefault();
    if (!dialog) build();
    pending = form;
    document.getElementById("confirm-dialog-text").textContent = message;
    const yes = document.getElementById("confirm-dialog-yes");
    yes.textContent = form.dataset.confirmButton || "Yes, do it";
    dialog.hidden = false;
    yes.focus();
  }, true);

  document.addEventListener("keydown", (event) => {
    if (!dialog || dialog.hidden) return;
    if (event.key === "Escape") { event.preventDefault(); event.stopImmediatePropagation(); close(); }
  }, true);
})();
