"""The annotator's workspace beyond next/submit: drafts and lease heartbeats, progress, and going back to
edit earlier answers. Each is its own small request, so the hot path (next, submit) stays as it is."""
