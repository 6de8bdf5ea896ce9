// prompt_review on the review page: the decision, the edited text and the reason back into the form.
(function () {
  const Quorum = (window.Quorum = window.Quorum || { widgets: {} });
  (Quorum.fillers = Quorum.fillers || {}).prompt_review = function (root, answer) {
    Quorum.press(root, "decision", answer.decision ? [answer.decision] : []);
    if (answer.text) root.querySelector("[data-field=text]").value = answer.text;
    root.querySelector("[data-field=reason]").value = answer.reason || "";
  };
})();
