"""Quorum: human data for training and aligning language models."""

__version__ = "0.1.0"
