// ranking on the review page: the stored order, picked through the widget's own buttons (so its view of
// the order is drawn as for an annotator), and the flags.
(function () {
  const Quorum = (window.Quorum = window.Quorum || { widgets: {} });
  (Quorum.fillers = Quorum.fillers || {}).ranking = function (root, answer) {
    const el = root.querySelector("[data-ranking]");
    const tie = el.querySelector("[data-tie]");
    (answer.order || []).forEach((tier) => {
      tier.forEach((index, i) => {
        el.querySelector(`[data-pick="${index}"]`).click();
        if (i > 0 && tie) tie.click();
      });
    });
    Object.entries(answer.flags || {}).forEach(([index, flags]) => Quorum.press(root, "flags:" + index, flags));
  };
})();
