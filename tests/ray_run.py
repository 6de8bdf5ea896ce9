"""Run by tests/test_executors.py in a subprocess (Ray's start is slow and its processes are best kept
out of the test worker): the same batches (the embed job's, rm_score's and one of this script's) through
InProcess and through a local Ray (num_cpus=2), and every TCP socket listening in this process's tree
while Ray is up. Prints one JSON object."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

from quorum.embeddings.compute import EmbedBatch, embed_batch
from quorum.executors.inprocess import InProcess
from quorum.executors.ray_backend import RayExecutor, shutdown
from quorum.providers import local
from quorum.providers.service import Target
from quorum.reward import engine
from quorum.reward.scoring import ScoreBatch, score_batch

TARGET = Target(
    0, "local-wordllama", local.KIND, local.BASE_URL, local.WORDLLAMA, None, {}, None, None, 0.0, 0.0
)


def norms(batch: list[list[float]]) -> list[float]:
    """A function of this script (``__main__``): Ray ships it to its workers by value."""
    return [sum(x * x for x in row) for row in batch]


def score_batches() -> list[ScoreBatch]:
    """rm_score's batches: a small fitted ensemble over fixed random features."""
    rng = np.random.default_rng(7)
    prompt, first, second = (rng.normal(size=(60, 8)) for _ in range(3))
    fitted = engine.fit(prompt, first, second, np.ones(60), seed=1, heads=4)
    data = engine.to_json(fitted)
    return [ScoreBatch(data, prompt[i : i + 20], first[i : i + 20], second[i : i + 20]) for i in (0, 20, 40)]


def descendants(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [p for p, pp in parents.items() if pp == parent and p not in found]
        found.update(children)
        frontier.extend(children)
    return found


def listening(pids: set[int]) -> list[dict[str, Any]]:
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    sockets = []
    for line in out.splitlines():
        owners = {int(p) for p in re.findall(r"pid=(\d+)", line)}
        if owners & pids:
            sockets.append({"local": line.split()[3], "process": line.split()[-1]})
    return sockets


def main() -> None:
    texts = [f"text number {i}: " + "why is the sky blue? " * (i % 7) for i in range(40)]
    batches = [EmbedBatch(TARGET, tuple(texts[i : i + 6])) for i in range(0, len(texts), 6)]
    plain = [s.result.vectors for s in InProcess().map_batches(embed_batch, batches)]
    ray_run = RayExecutor(num_cpus=2, window=3)
    remote = [s.result.vectors for s in ray_run.map_batches(embed_batch, batches)]
    remote_norms = list(ray_run.map_batches(norms, plain))
    scoring = score_batches()
    remote_scores = list(ray_run.map_batches(score_batch, scoring))
    sockets = listening(descendants(os.getpid()))
    shutdown()
    json.dump(
        {
            "inprocess": plain,
            "ray": remote,
            "norms": {"inprocess": list(InProcess().map_batches(norms, plain)), "ray": remote_norms},
            "scores": {
                "inprocess": list(InProcess().map_batches(score_batch, scoring)),
                "ray": remote_scores,
            },
            "sockets": sockets,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
