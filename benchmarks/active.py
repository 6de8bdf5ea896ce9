"""Does active learning save labels on real preferences? A replay on hh-rlhf harmless-base (issue #14).

    .venv/bin/python benchmarks/active.py [--seeds 5] [--models minilm,wordllama] [--noise 0.0] [--quick]

Each of the 2,307 usable pairs of ``shared/data/hh-rlhf/harmless-base/test.jsonl.gz`` (2,312 rows, less
those that do not parse or whose replies are the same text) becomes a comparison with its recorded human
preference; a simulated annotator answers with it (flipped with probability ``--noise``). A fixed 30%
is held out (the same for every seed and strategy); the rest is the pool. Per seed every strategy starts
from the same random ``--start`` labels, then picks batches of ``--batch`` out of the pool with
``quorum.core.reward.acquire.select`` (no control arm here: ``random`` is the control), the ensemble
(``model.fit``, 8 bootstrap heads) is refitted after each batch and scored on the held-out split.

Reported, per embedding model: the learning curves (mean over seeds, 95% t-interval), accuracy at fixed
budgets, label efficiency (the labels random needs for its final accuracy, over the labels the strategy
needs for the same, read off the mean curves, with a bootstrap over seeds), held-out accuracy with every
pool label (beside GPT-2-large's 0.737 on this data from its model card), 5-fold accuracy over all pairs,
and the embedding rate; plus speed rows (fit on 20,000 comparisons, score and select on 100,000 items).
Writes ``benchmarks/results/active.json`` and ``active.png``; embeddings are cached in ``benchmarks/.cache``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

# One BLAS thread: the machine is shared, and the fits are small enough that threads mostly wait.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).parent))

from quorum.core.reward import acquire, evaluate, features, model  # noqa: E402

RESULTS = Path(__file__).parent / "results"
STRATEGIES = ("random", "uncertainty", "margin", "diversity", "hybrid")
BUDGETS = (100, 200, 400, 800)
GPT2_LARGE = 0.737
"""GPT-2-large reward model trained on hh-rlhf harmless-base, its test accuracy (model card)."""
HEADS = 8
L2 = model.DEFAULT_L2


def comparisons(vecs: Mapping[str, np.ndarray], seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Pair features and labels, each pair shown in a random order (y = 1 where the first is chosen)."""
    flip = np.random.default_rng(seed).random(len(vecs["prompt"])) < 0.5
    a = np.where(flip[:, None], vecs["rejected"], vecs["chosen"])
    b = np.where(flip[:, None], vecs["chosen"], vecs["rejected"])
    return features.pair_features(vecs["prompt"], a, b), (~flip).astype(np.float64)


def _accuracy(ens: model.Ensemble, x: np.ndarray, y: np.ndarray) -> float:
    p = ens.predict(x).mean_p
    return float(np.mean(np.where(y == 1, p > 0.5, p < 0.5)))


def run_curve(
    strategy: str,
    x: np.ndarray,
    y: np.ndarray,
    prompts: np.ndarray,
    pool: np.ndarray,
    test: np.ndarray,
    *,
    seed: int,
    start: int,
    batch: int,
    budget: int,
    noise: float,
    heads: int = HEADS,
    l2: float = L2,
) -> list[tuple[int, float]]:
    """(labels, held-out accuracy) after the start set and after each batch, up to ``budget`` labels."""
    rng = np.random.default_rng(seed)
    answers = np.where(np.random.default_rng(10_000 + seed).random(len(y)) < noise, 1 - y, y)
    labelled = list(np.random.default_rng(seed).choice(pool, size=start, replace=False))
    left = np.setdiff1d(pool, labelled)
    curve = []
    while True:
        ens = model.fit(x[labelled], answers[labelled], heads=heads, seed=seed, l2=l2)
        curve.append((len(labelled), _accuracy(ens, x[test], y[test])))
        if len(labelled) >= budget or len(left) == 0:
            return curve
        k = min(batch, budget - len(labelled))
        sel = acquire.select(
            strategy, ens.predict(x[left]), prompts[left], k, control_share=0.0, rng=rng,
            centers=prompts[labelled],
        )  # fmt: skip
        picked = left[sel.batch]
        labelled.extend(picked.tolist())
        left = np.setdiff1d(left, picked)


def labels_to_reach(labels: np.ndarray, acc: np.ndarray, target: float) -> float:
    """The first label count where the curve reaches ``target`` (linear between points); inf if never."""
    above = np.flatnonzero(acc >= target)
    if len(above) == 0:
        return float("inf")
    i = int(above[0])
    if i == 0:
        return float(labels[0])
    x0, x1, y0, y1 = labels[i - 1], labels[i], acc[i - 1], acc[i]
    return float(x0 + (target - y0) / (y1 - y0) * (x1 - x0))


def efficiency(
    curves: dict[str, np.ndarray], labels: np.ndarray, n_boot: int = 2000, seed: int = 0
) -> dict[str, Any]:
    """Per strategy: random's labels for its final mean accuracy over the strategy's, and a bootstrap
    interval over seeds (the same resampled seeds for random and the strategy)."""
    n_seeds = curves["random"].shape[0]

    def ratio(rows: np.ndarray, name: str) -> float:
        target = curves["random"][rows].mean(axis=0)[-1]
        random_needs = labels_to_reach(labels, curves["random"][rows].mean(axis=0), target)
        needs = labels_to_reach(labels, curves[name][rows].mean(axis=0), target)
        return random_needs / needs

    rng = np.random.default_rng(seed)
    draws = [rng.integers(0, n_seeds, n_seeds) for _ in range(n_boot)]
    out: dict[str, Any] = {}
    every = np.arange(n_seeds)
    target = float(curves["random"].mean(axis=0)[-1])
    for name in curves:
        values = np.array([ratio(rows, name) for rows in draws])
        out[name] = {
            "target_accuracy": target,
            "labels_needed": labels_to_reach(labels, curves[name].mean(axis=0), target),
            "efficiency": ratio(every, name),
            "efficiency_low": float(np.quantile(values, 0.025)),
            "efficiency_high": float(np.quantile(values, 0.975)),
        }
    return out


def _interval(values: np.ndarray) -> tuple[float, float, float]:
    mean = float(values.mean())
    if len(values) < 2:
        return mean, float("nan"), float("nan")
    half = float(stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values)))
    return mean, mean - half, mean + half


def simulate(
    vecs: Mapping[str, np.ndarray],
    *,
    seeds: int,
    start: int,
    batch: int,
    budget: int,
    noise: float,
    strategies: Sequence[str] = STRATEGIES,
    test_share: float = 0.3,
    l2: float = L2,
    log: bool = False,
) -> dict[str, Any]:
    x, y = comparisons(vecs)
    prompts = np.asarray(vecs["prompt"], dtype=np.float64)
    order = np.random.default_rng(12345).permutation(len(y))
    n_test = round(test_share * len(y))
    test, pool = np.sort(order[:n_test]), np.sort(order[n_test:])
    budget = min(budget, len(pool))
    curves: dict[str, list[list[float]]] = {s: [] for s in strategies}
    labels: list[int] = []
    for seed in range(seeds):
        for s in strategies:
            t = time.perf_counter()
            curve = run_curve(
                s,
                x,
                y,
                prompts,
                pool,
                test,
                seed=seed,
                start=start,
                batch=batch,
                budget=budget,
                noise=noise,
                l2=l2,
            )
            labels = [n for n, _ in curve]
            curves[s].append([a for _, a in curve])
            if log:
                print(
                    f"  seed {seed} {s:<12} final {curve[-1][1]:.3f} ({time.perf_counter() - t:.1f} s)",
                    flush=True,
                )
    grid = np.array(labels)
    arrays = {s: np.array(c) for s, c in curves.items()}
    table = {}
    for s, arr in arrays.items():
        points = [_interval(arr[:, j]) for j in range(arr.shape[1])]
        table[s] = {
            "mean": [p[0] for p in points],
            "low": [p[1] for p in points],
            "high": [p[2] for p in points],
            "at_budget": {
                str(b): dict(zip(("mean", "low", "high"), points[int(np.searchsorted(grid, b))], strict=True))
                for b in BUDGETS
                if b in grid
            },
        }
    result: dict[str, Any] = {
        "n_pairs": len(y), "n_pool": len(pool), "n_test": len(test), "seeds": seeds, "start": start,
        "batch": batch, "budget": budget, "noise": noise, "l2": l2, "heads": HEADS, "labels": grid.tolist(),
        "curves": table,
    }  # fmt: skip
    if "random" in arrays:
        result["efficiency"] = efficiency(arrays, grid)
    # Every pool label, held-out split; and 5-fold over all pairs (the reference point).
    full = model.fit(x[pool], y[pool], heads=HEADS, l2=l2)
    result["all_labels"] = evaluate.report(full, x[test], y[test], n_boot=1000)
    folds = np.array_split(np.random.default_rng(7).permutation(len(y)), 5)
    fold_acc = []
    for f in folds:
        train = np.setdiff1d(np.arange(len(y)), f)
        fold_acc.append(_accuracy(model.fit(x[train], y[train], heads=1, bootstrap=False, l2=l2), x[f], y[f]))
    result["five_fold_accuracy"] = float(np.mean(fold_acc))
    return result


def speed(
    dim: int = 768, n_fit: int = 20_000, n_score: int = 100_000, prompt_dim: int = 384
) -> dict[str, float]:
    """Seconds of this process's CPU (and wall clock: on a machine shared with other work the wall clock
    measures the neighbours as much as the code) for a fit on 20,000 comparisons of MiniLM's pair
    feature size, scoring 100,000 pairs, and choosing 100 of them by three strategies."""
    rng = np.random.default_rng(0)
    w = rng.normal(size=dim) / np.sqrt(dim)
    x = rng.normal(size=(n_fit, dim))
    y = (rng.random(n_fit) < 1 / (1 + np.exp(-x @ w))).astype(np.float64)
    out: dict[str, float] = {}

    def timed(name: str, fn: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        value = fn()
        out[f"{name}_cpu_s"] = time.process_time() - cpu
        out[f"{name}_wall_s"] = time.perf_counter() - wall
        return value

    ens = timed("fit_20k", lambda: model.fit(x, y, heads=HEADS))
    pool = rng.normal(size=(n_score, dim)).astype(np.float32)
    scores = timed("score_100k", lambda: ens.predict(pool))
    prompts = rng.normal(size=(n_score, prompt_dim))
    for s in ("uncertainty", "diversity", "hybrid"):
        timed(
            f"select_{s}_100_of_100k",
            lambda s=s: acquire.select(s, scores, prompts, 100, control_share=0.2, rng=rng),
        )
    return out


def embed_speed(name: str, pairs: Any, n: int = 256) -> dict[str, float]:
    """Texts per CPU-second and per wall-second on ``n`` hh-rlhf texts (prompts and replies, alternating),
    the model already loaded. The cached embedding's own rate is wall-clock on whatever else ran then."""
    import active_data

    embed = active_data.MODELS[name]()
    texts = [t for pair in zip(pairs.prompts, pairs.chosen, strict=True) for t in pair][:n]
    embed(texts[:8])
    wall, cpu = time.perf_counter(), time.process_time()
    embed(texts)
    return {
        "texts_per_cpu_s": n / (time.process_time() - cpu),
        "texts_per_wall_s": n / (time.perf_counter() - wall),
    }


def _plot(results: dict[str, Any], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[bench]'): no plot")
        return False
    models = list(results["models"])
    fig, axes = plt.subplots(1, len(models), figsize=(6.5 * len(models), 4.6), squeeze=False, sharey=True)
    for ax, name in zip(axes[0], models, strict=True):
        sim = results["models"][name]
        grid = np.array(sim["labels"])
        for strategy, curve in sim["curves"].items():
            (line,) = ax.plot(
                grid,
                curve["mean"],
                label=strategy,
                lw=2 if strategy == "random" else 1.4,
                color="black" if strategy == "random" else None,
            )
            ax.fill_between(grid, curve["low"], curve["high"], alpha=0.15, color=line.get_color())
        ax.axhline(
            sim["all_labels"]["accuracy"], ls="--", color="grey", lw=1, label=f"all {sim['n_pool']} labels"
        )
        ax.set_title(f"{name}: held-out accuracy vs labels ({sim['seeds']} seeds, 95% CI)")
        ax.set_xlabel("labels")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("reward-model accuracy (held out)")
    axes[0][-1].legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def _cell(point: Mapping[str, float]) -> str:
    return f"{point['mean']:.3f} [{point['low']:.3f}, {point['high']:.3f}]"


def _print(results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=170)
    for name, sim in results["models"].items():
        table = Table(
            title=f"{name} ({sim['dim']} dims; embeds {sim['embed_speed']['texts_per_cpu_s']:.0f} texts per CPU-s, "
            f"{sim['embed_speed']['texts_per_wall_s']:.0f} per wall-s here): held-out accuracy at budgets "
            "[95% CI over seeds], label efficiency vs random [bootstrap over seeds]"
        )
        table.add_column("strategy")
        budgets = [b for b in BUDGETS if str(b) in next(iter(sim["curves"].values()))["at_budget"]]
        for b in budgets:
            table.add_column(f"@{b}", justify="right")
        table.add_column("labels to random's final", justify="right")
        table.add_column("efficiency [95% CI]", justify="right")
        for strategy, curve in sim["curves"].items():
            cells = [_cell(curve["at_budget"][str(b)]) for b in budgets]
            eff = sim.get("efficiency", {}).get(strategy, {})
            table.add_row(
                strategy, *cells, f"{eff.get('labels_needed', float('nan')):.0f}",
                f"{eff.get('efficiency', float('nan')):.2f} [{eff.get('efficiency_low', float('nan')):.2f}, {eff.get('efficiency_high', float('nan')):.2f}]",
            )  # fmt: skip
        console.print(table)
        full = sim["all_labels"]
        console.print(
            f"  all {sim['n_pool']} pool labels: held-out accuracy {full['accuracy']:.3f} "
            f"[{full['accuracy_low']:.3f}, {full['accuracy_high']:.3f}] (n={full['n']}), ECE {full['ece']:.3f}; "
            f"5-fold over {sim['n_pairs']} pairs {sim['five_fold_accuracy']:.3f}; GPT-2-large (model card) {GPT2_LARGE}"
        )
    console.print("speed: " + ", ".join(f"{k} {v:.2f}" for k, v in results["speed"].items()))


def _finite(value: Any) -> Any:
    """JSON has no inf or NaN: a strategy that never reaches the target needs ``null`` labels."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="minilm,wordllama")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--start", type=int, default=50)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--budget", type=int, default=800)
    parser.add_argument("--noise", type=float, default=0.0)
    parser.add_argument("--l2", type=float, default=L2)
    parser.add_argument("--quick", action="store_true", help="2 seeds, the fast embedding only")
    parser.add_argument("--out", type=Path, default=RESULTS / "active.json")
    args = parser.parse_args(argv)
    import active_data

    names = ["wordllama"] if args.quick else args.models.split(",")
    seeds = 2 if args.quick else args.seeds
    pairs, source = active_data.load_pairs()
    results: dict[str, Any] = {"data": str(source.name), "gpt2_large_accuracy": GPT2_LARGE, "models": {}}
    for name in names:
        vecs, rate = active_data.embedded(name, active_data.MODELS[name], pairs, source)
        print(f"{name}: {len(pairs)} pairs, {vecs['prompt'].shape[1]} dims, {rate:.0f} texts/s", flush=True)
        sim = simulate(
            vecs,
            seeds=seeds,
            start=args.start,
            batch=args.batch,
            budget=args.budget,
            noise=args.noise,
            l2=args.l2,
            log=True,
        )
        sim.update(dim=int(vecs["prompt"].shape[1]), texts_per_s=rate, embed_speed=embed_speed(name, pairs))
        results["models"][name] = sim
    results["speed"] = speed()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(_finite(results), indent=1, allow_nan=False) + "\n")
    _print(results)
    if _plot(results, args.out.with_suffix(".png")):
        print(f"wrote {args.out} and {args.out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
