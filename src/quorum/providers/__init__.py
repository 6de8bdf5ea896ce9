"""Model connections: a provider registry (chat and embeddings), registered model endpoints, the
``model_calls`` ledger, per-process limits and the URL rules that keep a model URL from reaching
internal services."""
