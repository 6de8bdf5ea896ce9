// steps on the review page: each step's label, its note and the final-answer verdict back into the form.
(function () {
  const Quorum = (window.Quorum = window.Quorum || { widgets: {} });
  (Quorum.fillers = Quorum.fillers || {}).steps = function (root, answer) {
    (answer.labels || []).forEach((label, i) => {
      if (label !== null && label !== undefined) Quorum.press(root, "step:" + i, [label]);
    });
    Object.entries(answer.notes || {}).forEach(([i, text]) => {
      const input = root.querySelector(`[data-note="${CSS.escape(i)}"]`);
      if (!input) return;
      input.value = text;
      input.closest("label").hidden = false;
    });
    if (answer.final_answer_correct !== undefined && answer.final_answer_correct !== null) {
      Quorum.press(root, "final", [String(answer.final_answer_correct)]);
    }
  };
})();
