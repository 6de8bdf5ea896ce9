// prompt_review: approve, edit (with the edited text) or reject (with a reason).
(window.Quorum = window.Quorum || { widgets: {} }).widgets.prompt_review = {
  keys: [
    ["1 2 3", "approve, edit, reject"],
    ["Tab", "to the edited prompt or the reason (Esc leaves the box)"],
  ],
  collect(root) {
    const [decision] = Quorum.pressed(root, "decision");
    if (!decision) throw new Error("Approve, edit or reject first.");
    const answer = { decision };
    if (decision === "edit") answer.text = root.querySelector("[data-field=text]").value.trim();
    if (decision === "reject") answer.reason = root.querySelector("[data-field=reason]").value.trim();
    return answer;
  },
};
