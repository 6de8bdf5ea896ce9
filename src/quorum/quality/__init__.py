"""Data-quality tools on files: aggregate crowd answers, measure inter-annotator agreement."""
