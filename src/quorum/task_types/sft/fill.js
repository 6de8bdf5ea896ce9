// sft on the review page: the annotator's reply back into the box (a correction starts from it).
(function () {
  const Quorum = (window.Quorum = window.Quorum || { widgets: {} });
  (Quorum.fillers = Quorum.fillers || {}).sft = function (root, answer) {
    const el = root.querySelector("[data-sft]");
    el.querySelector("[data-field=reply]").value = answer.reply || "";
    el.dataset.fromDraft = answer.from_draft ? "true" : "false";
  };
})();
