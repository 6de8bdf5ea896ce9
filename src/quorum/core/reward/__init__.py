"""A small reward model for active learning, pure (NumPy/SciPy): no database, no web, no queue.

- ``features``: how (prompt, response) embeddings become a Bradley-Terry feature, and a pair's difference.
- ``model``: ``fit`` an ``Ensemble`` of bootstrap logistic Bradley-Terry heads; ``predict`` a ``ScoreSet``.
- ``evaluate``: held-out accuracy with a bootstrap interval, split by strength, and calibration.
- ``acquire``: the acquisition strategies and the random control arm (``select`` -> ``Selection``).
- ``pairs``: out of K candidates for one prompt, the pair the ensemble is least sure of.
"""
