"""Batch embedding and scoring at scale: the ``embed`` path (``embeddings.service.embed_project``: store
lookup, batches through an executor, vectors and ledger rows written) and keyed batch scoring
(``embeddings.checkpoints.run_batches``) on this machine, for each embedding model and each executor.

    .venv/bin/python benchmarks/embed.py [--items 100000] [--quick]

Data: hh-rlhf harmless-base test (2,312 human preferences) as pairwise items (the conversation up to the
last reply, the chosen and the rejected reply: three texts per item). The scale run repeats them up to
``--items`` items, each copy's texts marked with its copy number so that no two texts are equal (a
repeated text would be embedded once and the speed would flatter). MiniLM is measured on the 2,312 real
items and extrapolated to the scale run (over an hour there); the fast model runs it whole, in process
and on Ray (num_cpus=2). Scoring: a Bradley-Terry head over ``[r, p * r]`` features, batch by batch.

Reward-model accuracy per embedding model: five-fold accuracy of one logistic Bradley-Terry head (scikit-
learn, features ``phi(p, chosen) - phi(p, rejected)`` with ``phi(p, r) = [r, p * r]``) on the usable
real pairs; the ensemble's own figures are ``benchmarks/active.py``'s.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).parent / "results" / "embed.json"
HH = Path("shared") / "data" / "hh-rlhf" / "harmless-base" / "test.jsonl.gz"
# shared/ beside the repository or a folder above it (a worktree sits deeper than the main checkout).
DATA = next(
    (p / HH for p in Path(__file__).resolve().parents if (p / HH).exists()),
    Path(__file__).resolve().parents[2] / HH,
)
MODELS = ("local-minilm", "local-wordllama")
SCORE_BATCH = 1000


def load_pairs(path: Path) -> list[tuple[str, str, str]]:
    """(prompt, chosen reply, rejected reply) for each row whose two transcripts share the prompt."""
    found = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            cut_c, cut_r = row["chosen"].rfind("\n\nAssistant:"), row["rejected"].rfind("\n\nAssistant:")
            prompt = row["chosen"][:cut_c].strip()
            if cut_c < 0 or prompt != row["rejected"][:cut_r].strip():
                continue
            chosen = row["chosen"][cut_c + len("\n\nAssistant:") :].strip()
            rejected = row["rejected"][cut_r + len("\n\nAssistant:") :].strip()
            if chosen and rejected and chosen != rejected:
                found.append((prompt, chosen, rejected))
    return found


def item_rows(pairs: list[tuple[str, str, str]], n: int, project_id: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        prompt, chosen, rejected = pairs[i % len(pairs)]
        copy = i // len(pairs)
        tag = f" [{copy}]" if copy else ""
        rows.append(
            {
                "project_id": project_id,
                "external_id": f"hh{i}",
                "payload": {
                    "messages": [{"role": "user", "content": prompt + tag}],
                    "candidates": [{"content": chosen + tag}, {"content": rejected + tag}],
                },
                "meta": {},
                "priority": 0.0,
                "status": "open",
                "judgment_count": 0,
            }
        )
    return rows


def score_batch(batch: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """P(candidate 0 preferred) for each item of the batch: a top-level function, so Ray can ship it."""
    prompt, a, b, weights = batch
    delta = a - b
    logits = np.hstack([delta, prompt * delta]) @ weights
    return np.asarray(1.0 / (1.0 + np.exp(-logits)), dtype=np.float32)


def five_fold_accuracy(prompt: np.ndarray, chosen: np.ndarray, rejected: np.ndarray, seed: int = 0) -> float:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(seed)
    n = len(prompt)
    flip = rng.random(n) < 0.5  # half the pairs as (rejected, chosen): a balanced label with no intercept
    a = np.where(flip[:, None], rejected, chosen)
    b = np.where(flip[:, None], chosen, rejected)
    x = np.hstack([a - b, prompt * (a - b)])
    y = (~flip).astype(int)
    folds = rng.permutation(n) % 5
    correct = 0
    for k in range(5):
        train, test = folds != k, folds == k
        head = LogisticRegression(C=1.0, fit_intercept=False, max_iter=2000).fit(x[train], y[train])
        correct += int((head.predict(x[test]) == y[test]).sum())
    return correct / n


class Bench:
    def __init__(self, tmp: Path) -> None:
        from quorum.config import Settings
        from quorum.db import Database
        from quorum.db.migrate import upgrade
        from quorum.jobs.registry import SETTINGS_INFO_KEY

        self.database = Database(f"sqlite:///{tmp / 'bench.db'}")
        upgrade(self.database.engine)
        self.database.session_info[SETTINGS_INFO_KEY] = Settings(data_dir=tmp)
        self.n_projects = 0

    def warm(self, models: tuple[str, ...]) -> None:
        """Load each model and the provider modules once, untimed (the openai SDK alone imports for seconds)."""
        from quorum.providers.service import embedding_target, send_embed

        with self.database.session() as db:
            for model in models:
                send_embed(embedding_target(db, model), ["warm up"], allow_link_local=False)

    def project(self, pairs: list[tuple[str, str, str]], n: int) -> int:
        from sqlalchemy import insert

        from quorum.models import Item
        from quorum.projects import service as projects

        self.n_projects += 1
        with self.database.session() as db:
            created = projects.create_project(
                db, None, name=f"bench{self.n_projects}", task_type="pairwise", config={}, guidelines=""
            )
            rows = item_rows(pairs, n, created.id)
            for start in range(0, n, 5000):
                db.execute(insert(Item), rows[start : start + 5000])
            return created.id

    def embed(self, pid: int, model: str, executor: Any, batch_size: int) -> dict[str, Any]:
        from quorum.embeddings import service
        from quorum.models import Project

        start = time.perf_counter()
        with self.database.session() as db:
            stats = service.embed_project(
                db, db.get(Project, pid), model=model, executor=executor, batch_size=batch_size
            )
        seconds = time.perf_counter() - start
        items = stats.total // 3
        return {
            "items": items, "texts": stats.embedded, "seconds": round(seconds, 1),
            "items_per_s": round(items / seconds, 1), "texts_per_s": round(stats.embedded / seconds, 1),
        }  # fmt: skip

    def matrices(self, pid: int, model: str) -> tuple[list[int], np.ndarray, np.ndarray, np.ndarray]:
        from sqlalchemy import select

        from quorum.embeddings import service
        from quorum.models import Item

        with self.database.session() as db:
            ids = list(db.scalars(select(Item.id).where(Item.project_id == pid).order_by(Item.id)))
            got = [
                service.vectors(db, pid, model, ids, part, embed_missing=False)
                for part in ("prompt", "candidate:0", "candidate:1")
            ]
        return ids, got[0], got[1], got[2]

    def score(self, pid: int, model: str, executor: Any, key: str) -> dict[str, Any]:
        """Read the stored vectors, score every item in batches of ``SCORE_BATCH`` through ``executor``,
        checkpointing each batch (the scores are kept in memory here; the product writes them)."""
        from quorum.embeddings.checkpoints import Unjobbed, run_batches

        start = time.perf_counter()
        ids, prompt, a, b = self.matrices(pid, model)
        read_s = time.perf_counter() - start
        weights = np.random.default_rng(0).normal(size=2 * prompt.shape[1]).astype(np.float32)
        batches = [
            (prompt[i : i + SCORE_BATCH], a[i : i + SCORE_BATCH], b[i : i + SCORE_BATCH], weights)
            for i in range(0, len(ids), SCORE_BATCH)
        ]
        scores: dict[int, np.ndarray] = {}
        with self.database.session() as db:
            run_batches(
                Unjobbed(db),
                key,
                batches,
                score_batch,
                executor,
                write=lambda _db, i, r: scores.__setitem__(i, r),
            )
        seconds = time.perf_counter() - start
        total = sum(len(s) for s in scores.values())
        return {
            "items": total,
            "seconds": round(seconds, 1),
            "read_s": round(read_s, 1),
            "items_per_s": round(total / seconds, 1),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000, help="items of the scale run (in process)")
    parser.add_argument(
        "--ray-items", type=int, default=None, help="items of Ray's scale run (default: --items)"
    )
    parser.add_argument("--minilm-items", type=int, default=600, help="real items MiniLM embeds (a sample)")
    parser.add_argument("--quick", action="store_true", help="100 MiniLM items, 5,000 scale items")
    parser.add_argument("--no-ray", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from quorum.executors.inprocess import InProcess

    pairs = load_pairs(DATA)
    mini_n = 100 if args.quick else min(args.minilm_items, len(pairs))
    scale_n = 5000 if args.quick else args.items
    ray_n = 5000 if args.quick else (args.ray_items or scale_n)
    console = Console()
    out: dict[str, Any] = {
        "data": DATA.name, "pairs": len(pairs), "cpus": os.cpu_count(), "load_avg_at_start": round(os.getloadavg()[0], 1),
    }  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        bench = Bench(Path(tmp))
        bench.warm(MODELS)
        real: dict[str, Any] = {}
        # Both models on the same MiniLM-sized sample; the fast one on every real pair as well.
        for model, n in (
            ("local-minilm", mini_n),
            ("local-wordllama", mini_n),
            ("local-wordllama", len(pairs)),
        ):
            pid = bench.project(pairs[:n], n)
            speed = bench.embed(pid, model, InProcess(), 64)
            _, prompt, chosen, rejected = bench.matrices(pid, model)
            speed["accuracy_5fold"] = round(five_fold_accuracy(prompt, chosen, rejected), 3)
            real[f"{model}@{n}"] = speed
            console.print(f"{model} on {n} real items: {speed}")
        out["real"] = real
        scale: dict[str, Any] = {}
        backends: list[tuple[str, Any, int]] = [("inprocess", InProcess(), scale_n)]
        if not args.no_ray:
            from quorum.executors.ray_backend import RayExecutor, start_local

            t = time.perf_counter()
            start_local(num_cpus=2)
            out["ray_start_s"] = round(time.perf_counter() - t, 1)
            backends.append(("ray", RayExecutor(num_cpus=2, window=4), ray_n))
        for name, executor, n in backends:
            pid = bench.project(pairs, n)
            embedded = bench.embed(pid, "local-wordllama", executor, 256)
            scored = bench.score(pid, "local-wordllama", executor, f"bench:{name}")
            scale[f"local-wordllama/{name}"] = {"embed": embedded, "score": scored}
            console.print(f"local-wordllama on {n} items, {name}: embed {embedded}, score {scored}")
        mini = real[f"local-minilm@{mini_n}"]
        scale["local-minilm/inprocess (extrapolated)"] = {
            "embed": {
                "items": scale_n, "items_per_s": mini["items_per_s"], "texts_per_s": mini["texts_per_s"],
                "seconds": round(scale_n / mini["items_per_s"], 1), "extrapolated_from_items": mini_n,
            }
        }  # fmt: skip
        out["scale"] = scale
    out["load_avg_at_end"] = round(os.getloadavg()[0], 1)
    title = (
        f"embed and score hh-rlhf items (3 texts each) on {os.cpu_count()} cores, load {out['load_avg_at_start']}"
        f"-{out['load_avg_at_end']}; accuracy: 5-fold, one BT head, {mini_n} real pairs"
    )
    table = Table(title=title)
    for col in (
        "model / backend",
        "items",
        "embed items/s",
        "embed texts/s",
        "embed s",
        "score items/s",
        "accuracy",
    ):
        table.add_column(col)
    for key, row in scale.items():
        model = key.split("/")[0]
        e, sc = row["embed"], row.get("score", {})
        table.add_row(
            key, f"{e['items']:,}", str(e["items_per_s"]), str(e["texts_per_s"]), str(e["seconds"]),
            str(sc.get("items_per_s", "")), str(real[f"{model}@{mini_n}"]["accuracy_5fold"]),
        )  # fmt: skip
    console.print(table)
    console.print(
        f"local-wordllama on all {len(pairs)} real pairs: accuracy {real[f'local-wordllama@{len(pairs)}']['accuracy_5fold']}"
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")
    console.print(f"written {RESULTS}")


if __name__ == "__main__":
    main()
