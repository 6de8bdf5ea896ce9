"""AI judges measured: agreement with people next to people's with each other, order consistency, and
what judge-based routing saves in judgments and costs in agreement with the truth.

    .venv/bin/python benchmarks/assist_judges.py [--items N] [--seed S]

(a) **Simulator**: pairwise items with a true preference (A or B, uniform); people right with
probability 0.8; a judge right with planted accuracy 0.8 that, with planted position bias 0.2, answers
"the response shown first" whatever it says. The judge is asked in both candidate orders, as the judge
job does. Planted values: percent agreement with the truth (order 1) = 0.2 * 0.5 + 0.8 * 0.8 = 0.74,
order-consistency = P(both orders agree) (computed exactly below).

(b) **hh-rlhf** (``../shared/data/hh-rlhf/harmless-base/test.jsonl.gz``, 2,312 real preferences): people
are the recorded preference with noise (each of 3 people keeps it with probability 0.75). No generative
model runs here, so the judge is an honest cheap one: a logistic regression on hashed word counts of
response A minus response B, trained on a disjoint half of the file (the other half is judged). It is
served by a local OpenAI-protocol server and called through Quorum's own judge prompt, provider and
validation (``judges.prompt``, ``providers.batch``): the schema in ``response_format``, replies parsed
and checked like a person's answer, both candidate orders.

Routing (``core.judge_routing``): overlap 3 without routing; with it, an item whose verdict is
consistent and at least 0.8 confident (sim) / 0.75 (hh-rlhf) gets target 1, and a first person who
disagrees with the judge asks for one more (+1). Saving = judgments not collected; cost = the change in
how often the items' majority (a split counts half) matches the truth (sim) / the recorded preference.
``run(n_items, seed)`` returns the rows (``benchmarks/assist.py`` calls it); alone it prints a table and
writes benchmarks/results/assist_judges.json."""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
import threading
import time
import zlib
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from quorum.core import judge_agreement as ja  # noqa: E402
from quorum.core import judge_routing as rules  # noqa: E402

HUMAN_ACCURACY, JUDGE_ACCURACY, POSITION_BIAS = 0.8, 0.8, 0.2
OVERLAP = 3
N_BOOT = 500
Row = dict[str, Any]


def _row(
    part: str, measure: str, est: dict[str, Any] | None, planted: float | None = None, **extra: Any
) -> Row:
    value = est if not isinstance(est, dict) else est.get("value")
    low = est.get("low") if isinstance(est, dict) else None
    high = est.get("high") if isinstance(est, dict) else None
    return {
        "part": part,
        "measure": measure,
        "value": value,
        "low": low,
        "high": high,
        "planted": planted,
        **extra,
    }


def _agreement_rows(
    part: str, judge: dict[int, Hashable], people: dict[int, list[Hashable]], truth: dict[int, Hashable],
    planted: dict[str, float | None],
) -> list[Row]:  # fmt: skip
    out = []
    for name, pairs in (
        ("judge vs people", ja.judge_pairs(judge, people)),
        ("person vs person", ja.human_pairs(people)),
        ("judge vs truth", ja.judge_pairs(judge, {i: [t] for i, t in truth.items()})),
    ):
        found = ja.as_dict(ja.agreement(pairs, n_boot=N_BOOT))
        if found is None:
            continue
        out.append(_row(part, f"{name}: percent", found["percent"], planted.get(f"{name}: percent")))
        out.append(_row(part, f"{name}: kappa", found["kappa"], planted.get(f"{name}: kappa")))
    return out


def _routing_rows(
    part: str, rng: random.Random, truth: dict[int, str], verdicts: dict[int, tuple[str, bool, float]],
    person: Callable[[int], str], policy: rules.Policy,
) -> list[Row]:  # fmt: skip
    """People answer until each item's target; the same draws serve both arms (paired comparison)."""
    answers = {i: [person(i) for _ in range(OVERLAP + 1)] for i in truth}

    def score(labels: list[str], item: int) -> float:
        a, b = labels.count("A"), labels.count("B")
        if a == b:
            return 0.5
        return 1.0 if ("A" if a > b else "B") == truth[item] else 0.0

    base_n = base_hit = route_n = route_hit = 0.0
    lowered = 0
    for item in truth:
        base_n += OVERLAP
        base_hit += score(answers[item][:OVERLAP], item)
        label, consistent, confidence = verdicts[item]
        target = OVERLAP
        if rules.confident(policy, consistent, confidence) and (new := rules.lowered(policy, target, 0)):
            target, lowered = new, lowered + 1
        if answers[item][0] != label:
            target = rules.raised(target, None)
        route_n += target
        route_hit += score(answers[item][:target], item)
    n = len(truth)
    return [
        _row(
            part, "routing: judgments without / with", None, judgments_without=base_n, judgments_with=route_n
        ),
        _row(part, "routing: saving (share of judgments)", round(1 - route_n / base_n, 4)),
        _row(part, "routing: items lowered", lowered),
        _row(part, "routing: majority = truth, without", round(base_hit / n, 4)),
        _row(part, "routing: majority = truth, with", round(route_hit / n, 4)),
        _row(part, "routing: agreement cost", round((base_hit - route_hit) / n, 4)),
    ]


def simulate(n_items: int, seed: int) -> list[Row]:
    rng = random.Random(seed)
    truth = {i: rng.choice("AB") for i in range(n_items)}
    other = {"A": "B", "B": "A"}

    def person(i: int) -> str:
        return truth[i] if rng.random() < HUMAN_ACCURACY else other[truth[i]]

    people = {i: [person(i) for _ in range(OVERLAP)] for i in truth}
    verdicts: dict[int, tuple[str, bool, float]] = {}
    for i, t in truth.items():
        # Order 1 shows candidate A first, order 2 shows B first; a biased reply picks the first shown.
        right = rng.random() < JUDGE_ACCURACY
        meant = t if right else other[t]
        first = "A" if rng.random() < POSITION_BIAS else meant
        second = "B" if rng.random() < POSITION_BIAS else meant
        confidence = rng.uniform(0.7, 1.0) if right else rng.uniform(0.5, 0.85)
        verdicts[i] = (first, first == second, confidence)
    judge = {i: v[0] for i, v in verdicts.items()}
    p = (1 - POSITION_BIAS) * JUDGE_ACCURACY + POSITION_BIAS * 0.5
    h = HUMAN_ACCURACY
    jh = p * h + (1 - p) * (1 - h)
    hh = h * h + (1 - h) * (1 - h)
    # Both orders agree: unbiased twice (1-b)^2; biased once and the meant answer matches the biased one.
    b = POSITION_BIAS
    consistent = (1 - b) ** 2 + 2 * b * (1 - b) * 0.5 + b * b * 0.0
    planted = {
        "judge vs truth: percent": p,
        "judge vs truth: kappa": 2 * p - 1,
        "judge vs people: percent": jh,
        "judge vs people: kappa": 2 * jh - 1,
        "person vs person: percent": hh,
        "person vs person: kappa": 2 * hh - 1,
    }
    rows = _agreement_rows("simulator", judge, people, truth, planted)
    rate = sum(v[1] for v in verdicts.values()) / n_items
    rows.append(_row("simulator", "order consistency", round(rate, 4), round(consistent, 4)))
    rows += _routing_rows("simulator", rng, truth, verdicts, person, rules.Policy(0.8, 1))
    # A judge with no skill: kappa about 0.
    noise = {i: rng.choice("AB") for i in truth}
    found = ja.as_dict(ja.agreement(ja.judge_pairs(noise, people), n_boot=N_BOOT))
    if found is not None:
        rows.append(_row("simulator", "random judge vs people: kappa", found["kappa"], 0.0))
    return rows


# ---- hh-rlhf ------------------------------------------------------------------------------------------
DIM = 1 << 14
_WORD = re.compile(r"[a-z']+")


def _features(text: str) -> np.ndarray:
    v = np.zeros(DIM + 2)
    words = _WORD.findall(text.lower())
    for w in words:
        v[zlib.crc32(w.encode()) % DIM] += 1.0
    v[DIM] = math.log1p(len(words))
    v[DIM + 1] = float("?" in text)
    return v / max(1.0, math.sqrt(len(words)))


def _fit(dense: np.ndarray, y: np.ndarray, steps: int = 300, lr: float = 0.5, l2: float = 1e-3) -> np.ndarray:
    """L2-regularised logistic regression by gradient descent (sparse: a row has a few hundred words)."""
    from scipy import sparse

    x = sparse.csr_matrix(dense)
    w = np.zeros(x.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ w)))
        w -= lr * (x.T @ (p - y) / len(y) + l2 * w)
    return w


@contextmanager
def _judge_server(w: np.ndarray) -> Iterator[str]:
    """An OpenAI-protocol chat server whose 'model' is the logistic head: it reads the two responses as
    shown, answers the one it scores higher, and gives its probability as the confidence."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            shown = json.loads(body["messages"][-1]["content"])["candidates"]
            p = float(
                1 / (1 + np.exp(-(_features(shown[0]["content"]) - _features(shown[1]["content"])) @ w))
            )
            choice = "A" if p >= 0.5 else "B"
            text = json.dumps(
                {"answer": {"choice": choice, "strength": "better"}, "confidence": max(p, 1 - p)}
            )
            data = json.dumps({
                "id": "x", "object": "chat.completion", "model": body["model"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }).encode()  # fmt: skip
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    class Server(ThreadingHTTPServer):
        request_queue_size = 256
        daemon_threads = True

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def hh_rlhf(n_items: int, seed: int) -> list[Row]:
    from quorum.errors import Invalid
    from quorum.judges import prompt
    from quorum.providers.batch import ChatCall, send_chats
    from quorum.providers.recorded_data import find_data, load
    from quorum.providers.service import Target
    from quorum.task_types import registry

    path = find_data()
    if path is None:
        return [_row("hh-rlhf", "skipped: data file not found", None)]
    rows_ = [r for r in load(path) if r.chosen.strip() and r.rejected.strip() and r.chosen != r.rejected]
    rng = random.Random(seed)
    rng.shuffle(rows_)
    half = len(rows_) // 2
    train, test = rows_[:half], rows_[half:][:n_items]
    x, y = [], []
    for r in train:
        swap = rng.random() < 0.5
        a, b = (r.rejected, r.chosen) if swap else (r.chosen, r.rejected)
        x.append(_features(a) - _features(b))
        y.append(0.0 if swap else 1.0)
    w = _fit(np.array(x), np.array(y))
    kind = registry.get("pairwise")
    config = kind.parse_config({})
    items, truth = [], {}
    for i, r in enumerate(test):
        swap = rng.random() < 0.5
        a, b = (r.rejected, r.chosen) if swap else (r.chosen, r.rejected)
        items.append({"messages": list(r.messages), "candidates": [{"content": a}, {"content": b}]})
        truth[i] = "B" if swap else "A"
    with _judge_server(w) as url:
        target = Target(0, "hh-judge", "openai", url, "logistic-head", None, {}, None, None, 0.0, 0.0)
        calls, keys = [], []
        for i, payload in enumerate(items):
            for order in prompt.orders(kind, payload):
                shown = payload if order is None else kind.arrange(payload, order)
                calls.append(ChatCall(target, prompt.messages(kind, {}, shown), prompt.call_params(kind, {})))
                keys.append((i, order, shown))
        sent = send_chats(calls, concurrency=8, allow_link_local=False)
    readings: dict[int, list[Any]] = {}
    invalid = 0
    for (i, order, shown), s in zip(keys, sent, strict=True):
        if s.result is None:
            invalid += 1
            continue
        try:
            readings.setdefault(i, []).append(prompt.read(kind, config, shown, order, s.result.text))
        except Invalid:
            invalid += 1
    verdicts = {
        i: (rs[0].answer["choice"], rs[0].answer["choice"] == rs[-1].answer["choice"], float(rs[0].confidence or 0))
        for i, rs in readings.items()
        if len(rs) == 2
    }  # fmt: skip
    other = {"A": "B", "B": "A"}
    keep = 0.75

    def person(i: int) -> str:
        return truth[i] if rng.random() < keep else other[truth[i]]

    people = {i: [person(i) for _ in range(OVERLAP)] for i in verdicts}
    judge = {i: v[0] for i, v in verdicts.items()}
    kept = {i: truth[i] for i in verdicts}
    hh = keep * keep + (1 - keep) ** 2
    rows = _agreement_rows(
        "hh-rlhf", judge, people, kept,
        {"person vs person: percent": hh, "person vs person: kappa": 2 * hh - 1},
    )  # fmt: skip
    rows.append(
        _row("hh-rlhf", "order consistency", round(sum(v[1] for v in verdicts.values()) / len(verdicts), 4))
    )
    rows.append(
        _row(
            "hh-rlhf",
            "judged items / train items / invalid calls",
            None,
            judged=len(verdicts),
            train=len(train),
            invalid=invalid,
        )
    )
    rows += _routing_rows("hh-rlhf", rng, kept, verdicts, person, rules.Policy(0.75, 1))
    return rows


def run(n_items: int = 10_000, seed: int = 0, *, quick: bool | None = None) -> list[Row]:
    """Every row (``part``, ``measure``, ``value``, ``low``, ``high``, ``planted`` and ``effect`` /
    ``measured`` as ``benchmarks/assist.py`` names them). Called as ``run(quick=…)`` (assist.py), it runs
    2,000 simulated and 300 hh-rlhf items when quick and returns only the rows with a planted value and an
    interval, each with ``covered``."""
    if quick is not None:
        n_items = 2_000 if quick else n_items
    started = time.perf_counter()
    rows = simulate(n_items, seed)
    rows.append(_row("simulator", "seconds", round(time.perf_counter() - started, 2)))
    started = time.perf_counter()
    rows += hh_rlhf(300 if quick else min(n_items, 1156), seed)
    rows.append(_row("hh-rlhf", "seconds", round(time.perf_counter() - started, 2)))
    for r in rows:
        r["effect"], r["measured"] = f"judges, {r['part']}: {r['measure']}", r["value"]
    if quick is None:
        return rows
    numbers = [
        r for r in rows if all(isinstance(r[k], float | int) for k in ("planted", "value", "low", "high"))
    ]
    return [{**r, "covered": r["low"] <= r["planted"] <= r["high"]} for r in numbers]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = run(args.items, args.seed)

    def fmt(x: Any) -> str:
        return "" if x is None else f"{x:.3f}" if isinstance(x, float) else str(x)

    for r in rows:
        extra = {
            k: v
            for k, v in r.items()
            if k not in ("part", "measure", "value", "low", "high", "planted", "effect", "measured")
        }
        interval = f"[{fmt(r['low'])}, {fmt(r['high'])}]" if r["low"] is not None else ""
        planted = f"planted {fmt(r['planted'])}" if r["planted"] is not None else ""
        print(
            f"{r['part']:<10} {r['measure']:<42} {fmt(r['value']):>8} {interval:<18} {planted} {extra or ''}"
        )
    out = ROOT / "benchmarks" / "results" / "assist_judges.json"
    out.write_text(json.dumps({"items": args.items, "seed": args.seed, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
