// pairwise: choice, strength (none for a tie), per-axis choices and a rationale.
(window.Quorum = window.Quorum || { widgets: {} }).widgets.pairwise = {
  collect(root) {
    const [choice] = Quorum.pressed(root, "choice");
    if (!choice) throw new Error("Choose A, B or tie first.");
    const answer = { choice, rationale: root.querySelector("[data-field=rationale]").value };
    if (choice !== "tie") {
      const [strength] = Quorum.pressed(root, "strength");
      if (!strength) throw new Error("Say how much better (keys 1 to 4).");
      answer.strength = strength;
    }
    const axes = {};
    root.querySelectorAll("[data-group^='axis:']").forEach((group) => {
      const [value] = Quorum.pressed(root, group.dataset.group);
      if (value) axes[group.dataset.group.slice(5)] = value;
    });
    answer.axes = axes;
    return answer;
  },
};
