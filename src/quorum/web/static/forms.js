// New-project form: switching the task type puts that type's example config in the config box,
// unless the manager already edited it.
(function () {
  "use strict";
  const select = document.getElementById("task-type");
  const config = document.getElementById("config");
  if (!select || !config) return;
  const examples = {};
  document.querySelectorAll(".config-example").forEach((el) => { examples[el.dataset.type] = el.textContent; });
  select.addEventListener("change", () => {
    const isExample = Object.values(examples).some((text) => text.trim() === config.value.trim());
    if (isExample || !config.value.trim() || config.value.trim() === "{}") config.value = examples[select.value] || "{}";
  });
})();
