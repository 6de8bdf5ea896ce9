"""Suggestions (pre-labels): proposed answers for items from a model or the project's learned classifier."""
