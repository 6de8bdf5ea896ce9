"""On-policy candidate generation: sample replies from registered models for prompt items and build the
comparisons annotators see (docs/generation.md)."""
