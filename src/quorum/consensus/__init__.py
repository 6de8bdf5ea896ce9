"""Model-based consensus over a project's judgments: exports by method, and model-based adaptive overlap."""
