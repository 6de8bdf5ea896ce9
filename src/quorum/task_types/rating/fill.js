// rating on the review page: each criterion's score, overall, flags and comment back into the form.
(function () {
  const Quorum = (window.Quorum = window.Quorum || { widgets: {} });
  (Quorum.fillers = Quorum.fillers || {}).rating = function (root, answer) {
    Object.entries(answer.scores || {}).forEach(([name, value]) => Quorum.press(root, "score:" + name, [value]));
    if (answer.overall !== undefined && answer.overall !== null) Quorum.press(root, "overall", [answer.overall]);
    Quorum.press(root, "flags", answer.flags || []);
    const comment = root.querySelector("[data-field=comment]");
    if (comment) comment.value = answer.comment || "";
  };
})();
