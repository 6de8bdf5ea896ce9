"""The annotator loop: lease the next item, submit a judgment, skip."""
