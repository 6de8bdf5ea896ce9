"""Active learning in the product: reward-model versions, retrain and score jobs, priorities, control arm."""
