"""Each dedup stage catches its own duplicates, against the reference set and within the batch."""

from __future__ import annotations

import numpy as np

from quorum.core.dedup import EXACT, NEAR, SEMANTIC, Thresholds, dedup, normalise


def test_exact_variants_match_after_normalising() -> None:
    assert normalise("  What IS the   capital, of France?! ") == "what is the capital of france"
    verdicts = dedup(
        ["what is the capital of France", "What is the capital of France?!", "Name a prime number."],
        ["Name a   PRIME number"],
    )
    assert [v.reason for v in verdicts] == [None, EXACT, EXACT]
    assert (verdicts[1].match, verdicts[1].match_is_reference) == (0, False)
    assert (verdicts[2].match, verdicts[2].match_is_reference, verdicts[2].score) == (0, True, 1.0)


def test_a_near_duplicate_with_one_word_changed_is_caught_with_its_jaccard() -> None:
    base = "write a short story about a robot who learns to paint sunsets over the quiet harbour town at dusk"
    changed = base.replace("robot", "android")
    different = "explain how vaccines train the immune system to recognise a virus before an infection"
    verdicts = dedup([changed, different], [base], thresholds=Thresholds(near=0.6))
    assert verdicts[0].reason == NEAR and verdicts[0].match_is_reference and verdicts[0].match == 0
    assert verdicts[0].score is not None and 0.6 <= verdicts[0].score < 1.0
    assert verdicts[1].reason is None


def test_semantic_duplicates_come_from_vectors_and_are_skipped_without_them() -> None:
    texts = ["how do I bake bread", "what is the recipe for a loaf", "tell me about black holes"]
    vectors = np.array([[1.0, 0.0, 0.0], [0.99, 0.05, 0.0], [0.0, 1.0, 0.0]])
    verdicts = dedup(texts, ["describe the moon landing"], vectors=vectors,
                     reference_vectors=np.array([[0.0, 0.0, 1.0]]), thresholds=Thresholds(semantic=0.95))  # fmt: skip
    assert [v.reason for v in verdicts] == [None, SEMANTIC, None]
    assert verdicts[1].match == 0 and not verdicts[1].match_is_reference and verdicts[1].score > 0.95  # type: ignore[operator]
    assert verdicts[2].nearest[SEMANTIC][0] < 0.95
    # A reference vector close to a candidate rejects it against the project.
    ref = dedup(["a"], ["b"], vectors=np.array([[1.0, 1.0]]), reference_vectors=np.array([[1.0, 0.99]]))
    assert ref[0].reason == SEMANTIC and ref[0].match_is_reference
    assert [v.reason for v in dedup(texts)] == [None, None, None]


def test_semantic_blocks_give_the_same_verdicts_as_one_block() -> None:
    rng = np.random.default_rng(3)
    base = rng.normal(size=(40, 16))
    vectors = np.vstack([base, base[:20] + rng.normal(scale=0.01, size=(20, 16))])
    texts = [f"prompt {i}" for i in range(60)]
    one = dedup(texts, vectors=vectors, thresholds=Thresholds(near=0.9))
    many = dedup(texts, vectors=vectors, thresholds=Thresholds(near=0.9), block=7)
    assert [(v.reason, v.match) for v in one] == [(v.reason, v.match) for v in many]
    assert [v.reason for v in one].count(SEMANTIC) == 20
    assert all(one[40 + i].match == i for i in range(20))
