// classification: the answer is the pressed labels, plus the "other" text when the project offers it.
(window.Quorum = window.Quorum || { widgets: {} }).widgets.classification = {
  keys: [
    ["1 … 9", "press the label with that number (each label shows its key)"],
    ["Tab", "to the “other” box, where the project offers one (Esc leaves it)"],
  ],
  collect(root) {
    const labels = Quorum.pressed(root, "labels");
    const otherBox = root.querySelector("[data-field=other]");
    const other = otherBox ? otherBox.value.trim() : "";
    if (labels.length === 0 && !other) throw new Error("Choose a label first.");
    const answer = { labels };
    if (other) answer.other = other;
    return answer;
  },
};
