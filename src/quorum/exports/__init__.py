"""Exports: stream a project's items, judgments and consensus into training formats."""
