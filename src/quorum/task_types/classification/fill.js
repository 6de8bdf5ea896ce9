// classification on the review page: the stored answer back into the form (pressed labels, "other").
(function () {
  const Quorum = (window.Quorum = window.Quorum || { widgets: {} });
  (Quorum.fillers = Quorum.fillers || {}).classification = function (root, answer) {
    Quorum.press(root, "labels", answer.labels || []);
    const other = root.querySelector("[data-field=other]");
    if (other) other.value = answer.other || "";
  };
})();
