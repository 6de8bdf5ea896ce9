"""Flags: an annotator reports a broken item; the manager sees and resolves it."""
