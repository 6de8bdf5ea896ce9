"""Item embeddings for a project: a store keyed (project, model, part, item, content hash), a checkpointed
``embed`` job that fills it through an executor, and a checkpointed runner for any batch scoring
(``checkpoints.run_batches``). See docs/embeddings.md."""
