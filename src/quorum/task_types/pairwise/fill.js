// pairwise on the review page: choice, strength, per-axis choices and rationale back into the form.
(function () {
  const Quorum = (window.Quorum = window.Quorum || { widgets: {} });
  (Quorum.fillers = Quorum.fillers || {}).pairwise = function (root, answer) {
    Quorum.press(root, "choice", answer.choice ? [answer.choice] : []);
    Quorum.press(root, "strength", answer.strength ? [answer.strength] : []);
    Object.entries(answer.axes || {}).forEach(([axis, value]) => Quorum.press(root, "axis:" + axis, [value]));
    const rationale = root.querySelector("[data-field=rationale]");
    if (rationale) rationale.value = answer.rationale || "";
  };
})();
