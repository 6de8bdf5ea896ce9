"""Aggregation methods: tie rule, encoding, invariants, and agreement with crowd-kit on synthetic data."""

from __future__ import annotations

import sys
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ci import oracle
from quorum.core.aggregation import METHODS, dawid_skene, encode, glad, mace, majority_vote
from quorum.core.aggregation.encoding import label_order
from quorum.core.aggregation.result import check_answers
from quorum.errors import Invalid

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def synthetic(
    seed: int, n_tasks: int = 300, n_workers: int = 25, n_labels: int = 3, overlap: int = 5
) -> Arrays:
    """Workers with accuracies in [0.4, 0.95]; wrong answers uniform over the other labels."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_labels, n_tasks)
    accuracy = rng.uniform(0.4, 0.95, n_workers)
    tasks = np.repeat(np.arange(n_tasks), overlap)
    workers = np.concatenate([rng.choice(n_workers, overlap, replace=False) for _ in range(n_tasks)])
    right = rng.random(tasks.size) < accuracy[workers]
    labels = np.where(right, truth[tasks], (truth[tasks] + rng.integers(1, n_labels, tasks.size)) % n_labels)
    return tasks, workers, labels, truth


def test_majority_vote_tie_rule_is_fixed() -> None:
    # Overall counts: label 0 twice, labels 1 and 2 five times each.
    answers = {0: [0, 2], 1: [0, 1], 2: [2, 2], 3: [1, 1], 4: [1, 2], 5: [2, 1]}
    tasks = np.repeat(list(answers), 2)
    labels = np.concatenate(list(answers.values()))
    result = majority_vote(tasks, np.tile([0, 1], 6), labels, 6, 2, 3)
    # Task 0: 0 vs 2 -> 2 (more frequent overall); task 1: 0 vs 1 -> 1; tasks 4 and 5: 1 vs 2 are
    # equally frequent overall -> the smaller code, 1, whichever came first.
    np.testing.assert_array_equal(result.labels, [2, 1, 2, 1, 1, 1])
    np.testing.assert_allclose(result.confidence, [0.5, 0.5, 1, 1, 0.5, 0.5])


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000))
def test_majority_vote_does_not_depend_on_row_order(seed: int) -> None:
    tasks, workers, labels, _ = synthetic(seed, n_tasks=40, overlap=4)
    order = np.random.default_rng(seed).permutation(tasks.size)
    first = majority_vote(tasks, workers, labels, 40, 25, 3)
    shuffled = majority_vote(tasks[order], workers[order], labels[order], 40, 25, 3)
    np.testing.assert_array_equal(first.labels, shuffled.labels)
    np.testing.assert_allclose(first.worker_accuracy, shuffled.worker_accuracy)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_methods_shuffle_invariant_and_well_formed(name: str) -> None:
    tasks, workers, labels, truth = synthetic(1)
    method = METHODS[name]
    result = method(tasks, workers, labels, 300, 25, 3)
    order = np.random.default_rng(2).permutation(tasks.size)
    shuffled = method(tasks[order], workers[order], labels[order], 300, 25, 3)
    np.testing.assert_array_equal(result.labels, shuffled.labels)
    np.testing.assert_allclose(result.probabilities, shuffled.probabilities, atol=1e-6)
    np.testing.assert_allclose(result.probabilities.sum(axis=1), 1.0)
    assert np.all((result.confidence > 0.33) & (result.confidence <= 1.0))
    assert np.mean(result.labels == truth) > 0.85
    assert result.worker_answers.sum() == tasks.size
    assert np.all((result.worker_accuracy >= 0) & (result.worker_accuracy <= 1))


def test_dawid_skene_confusion_and_worker_accuracy() -> None:
    tasks, workers, labels, truth = synthetic(3, n_tasks=600)
    result = dawid_skene(tasks, workers, labels, 600, 25, 3)
    assert result.confusion is not None and result.converged
    np.testing.assert_allclose(result.confusion.sum(axis=2), 1.0)
    true_accuracy = np.bincount(workers, weights=labels == truth[tasks]) / np.bincount(workers)
    assert np.corrcoef(true_accuracy, result.worker_accuracy)[0, 1] > 0.95
    diagonal = np.einsum("wkk->wk", result.confusion) @ result.params["priors"]
    assert np.corrcoef(true_accuracy, diagonal)[0, 1] > 0.95


def test_glad_and_mace_parameters_track_worker_quality() -> None:
    tasks, workers, labels, truth = synthetic(4, n_tasks=600)
    true_accuracy = np.bincount(workers, weights=labels == truth[tasks]) / np.bincount(workers)
    ability = glad(tasks, workers, labels, 600, 25, 3).params["ability"]
    competence = mace(tasks, workers, labels, 600, 25, 3).params["competence"]
    assert np.corrcoef(true_accuracy, ability)[0, 1] > 0.9
    assert np.corrcoef(true_accuracy, competence)[0, 1] > 0.9


def test_mace_is_deterministic_for_a_seed() -> None:
    tasks, workers, labels, _ = synthetic(5, n_tasks=100)
    first = mace(tasks, workers, labels, 100, 25, 3, seed=1)
    again = mace(tasks, workers, labels, 100, 25, 3, seed=1)
    np.testing.assert_array_equal(first.probabilities, again.probabilities)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_unanswered_tasks_and_edge_cases(name: str) -> None:
    method = METHODS[name]
    result = method([0, 0, 2], [0, 1, 0], [1, 1, 0], 4, 3, 2)
    np.testing.assert_array_equal(result.labels[[1, 3]], [-1, -1])
    assert result.labels[0] == 1 and result.confidence[1] == 0.0
    assert np.isnan(result.worker_accuracy[2])
    empty = method([], [], [], 0, 0, 0)
    assert empty.labels.size == 0
    one_label = method([0, 1], [0, 0], [0, 0], 2, 1, 1)
    np.testing.assert_array_equal(one_label.labels, [0, 0])
    with pytest.raises(Invalid):
        method([0], [0], [5], 1, 1, 2)
    with pytest.raises(Invalid):
        method([0, 1], [0], [0], 2, 1, 1)


def test_encoding_orders_labels_and_keeps_the_last_repeated_answer() -> None:
    rows = [("q1", "w1", "10"), ("q1", "w2", "9"), ("q2", "w1", "2"), ("q1", "w1", "9")]
    coded = encode(rows)
    assert coded.label_names == ["2", "9", "10"]
    assert coded.task_names == ["q1", "q2"] and coded.worker_names == ["w1", "w2"]
    assert coded.n_duplicates == 1 and coded.n_answers == 3
    kept = {
        (coded.task_names[t], coded.worker_names[w]): coded.label_names[k]
        for t, w, k in zip(coded.tasks, coded.workers, coded.labels, strict=True)
    }
    assert kept == {("q1", "w1"): "9", ("q1", "w2"): "9", ("q2", "w1"): "2"}
    assert label_order(["b", "a", "10"]) == ["10", "a", "b"]


def crowdkit_frame(tasks: np.ndarray, workers: np.ndarray, labels: np.ndarray) -> Any:
    pd = oracle("pandas")
    # Rows sorted by worker then label: crowd-kit 1.4.2's MACE misaligns workers otherwise (see
    # tests/quality/test_real_data.py); the other methods do not depend on row order.
    order = np.lexsort((labels, workers))
    return pd.DataFrame({"task": tasks[order], "worker": workers[order], "label": labels[order]})


def crowdkit_fit(model: Any, frame: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas deprecation chatter from crowd-kit's internals
        return model.fit(frame)


def test_majority_vote_and_dawid_skene_equal_crowdkit() -> None:
    aggregation = oracle("crowdkit.aggregation")
    tasks, workers, labels, _ = synthetic(11)
    frame = crowdkit_frame(tasks, workers, labels)
    votes = np.bincount(tasks * 3 + labels, minlength=900).reshape(300, 3)
    untied = (votes == votes.max(axis=1, keepdims=True)).sum(axis=1) == 1
    theirs = crowdkit_fit(aggregation.MajorityVote(), frame).labels_.sort_index().to_numpy()
    ours = majority_vote(tasks, workers, labels, 300, 25, 3)
    # Tie rules differ by design (crowd-kit: the smallest label), so compare off ties.
    np.testing.assert_array_equal(ours.labels[untied], theirs[untied])
    # Same EM from the same start: equal posteriors after the same number of iterations.
    for n_iter in (1, 10):
        model = crowdkit_fit(aggregation.DawidSkene(n_iter=n_iter, tol=-np.inf), frame)
        expected = model.probas_.sort_index()[[0, 1, 2]].to_numpy()
        result = dawid_skene(tasks, workers, labels, 300, 25, 3, max_iter=n_iter, tol=-np.inf)
        np.testing.assert_allclose(result.probabilities, expected, atol=1e-8)


def test_glad_and_mace_agree_with_crowdkit() -> None:
    aggregation = oracle("crowdkit.aggregation")
    tasks, workers, labels, truth = synthetic(13)
    frame = crowdkit_frame(tasks, workers, labels)
    mace_theirs = crowdkit_fit(aggregation.MACE(n_restarts=1), frame).labels_.sort_index().to_numpy()
    mace_ours = mace(tasks, workers, labels, 300, 25, 3).labels
    assert np.mean(mace_ours == mace_theirs) >= 0.98
    assert abs(np.mean(mace_ours == truth) - np.mean(mace_theirs == truth)) <= 0.01
    model = crowdkit_fit(aggregation.GLAD(), frame)
    glad_ours = glad(tasks, workers, labels, 300, 25, 3)
    glad_theirs = model.labels_.sort_index().to_numpy()
    assert np.mean(glad_ours.labels == glad_theirs) >= 0.93
    assert abs(np.mean(glad_ours.labels == truth) - np.mean(glad_theirs == truth)) <= 0.02
    # Where they differ it is because crowd-kit stops early: ours reaches a higher value of the
    # same penalised likelihood, evaluated for both parameter sets by the same function.
    module = sys.modules["quorum.core.aggregation.glad"]
    data = check_answers(tasks, workers, labels, 300, 25, 3)

    def objective(alpha: np.ndarray, log_beta: np.ndarray) -> float:
        return float(module._e_step(data, alpha, log_beta)[1] + module._log_prior(alpha, log_beta))

    ours = objective(glad_ours.params["ability"], np.log(glad_ours.params["inverse_difficulty"]))
    theirs = objective(model.alphas_.sort_index().to_numpy(), model.betas_.sort_index().to_numpy())
    assert ours >= theirs - 1e-6
