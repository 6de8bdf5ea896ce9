"""Review: reviewers audit a sample of judgments and accept, reject or correct them."""
