// critique on the review and edit pages: the stored issues back into the list (their spans marked in the
// response) through the widget's own restore, and "no issues". Stored offsets are code points (Python's
// str indexes); the widget also keeps each span's UTF-16 offsets, computed here from the response text.
(function () {
  const Quorum = (window.Quorum = window.Quorum || { widgets: {} });
  (Quorum.fillers = Quorum.fillers || {}).critique = function (root, answer) {
    const pre = root.querySelector("pre[data-response]");
    const points = Array.from(pre._raw === undefined ? pre.textContent : pre._raw);
    const u16 = (at) => points.slice(0, at).join("").length;
    const issues = (answer.issues || []).map((issue) => ({
      start: issue.start,
      end: issue.end,
      u16Start: u16(issue.start),
      u16End: u16(issue.end),
      quote: issue.quote,
      severity: issue.severity,
      category: issue.category || "",
      comment: issue.comment || "",
    }));
    Quorum.widgets.critique.restore(root, { issues });
    Quorum.press(root, "no_issues", answer.no_issues ? ["true"] : []);
  };
})();
