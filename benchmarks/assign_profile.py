"""Where a served next -> submit pair spends the server's CPU: one ``quorum serve`` process, profiled.

    .venv/bin/python benchmarks/assign_profile.py [--clients 32] [--seconds 20] [--top 40]

PostgreSQL (its own database, ``quorum_bench_assign_profile``). The server runs in a child process, one
uvicorn worker, with a sampling thread: every 2 ms it reads each thread's CPU clock and its Python stack,
and charges the CPU the thread used since the last sample to that stack (py-spy's ``--gil`` view without
py-spy: threads waiting on a socket or a queue use no CPU and are charged nothing). The parent drives
``clients`` annotators looping next -> submit (``assign.py``'s loop) and prints CPU per pair by thread
(the event loop or the work threads) and the functions that hold it, inclusive and self.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import json
import os
import pstats
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

PG_DB = "quorum_bench_assign_profile"
INTERVAL_S = 0.002


def _where(frame: FrameType) -> str:
    code = frame.f_code
    path = code.co_filename
    for marker in ("site-packages/", "/src/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{path}:{code.co_name}"


class Sampler(threading.Thread):
    """CPU-weighted stacks of every thread of this process but its own."""

    def __init__(self) -> None:
        super().__init__(daemon=True, name="sampler")
        self.inclusive: collections.Counter[str] = collections.Counter()
        self.own: collections.Counter[str] = collections.Counter()
        self.by_thread: collections.Counter[str] = collections.Counter()
        self.running = True

    def run(self) -> None:
        last: dict[int, float] = {}
        me = threading.get_ident()
        while self.running:
            time.sleep(INTERVAL_S)
            names = {t.ident: t.name for t in threading.enumerate()}
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                try:
                    cpu = time.clock_gettime(time.pthread_getcpuclockid(ident))
                except OSError:
                    continue
                used = cpu - last.get(ident, cpu)
                last[ident] = cpu
                if used <= 0:
                    continue
                name = names.get(ident, "?")
                kind = "event loop" if name == "MainThread" else name.rstrip("0123456789_-")
                self.by_thread[kind] += used
                self.own[_where(frame)] += used
                seen: set[str] = set()
                walk: FrameType | None = frame
                while walk is not None:
                    where = _where(walk)
                    if where not in seen:
                        seen.add(where)
                        self.inclusive[where] += used
                    walk = walk.f_back

    def report(self) -> dict[str, Any]:
        return {
            "by_thread": dict(self.by_thread),
            "inclusive": dict(self.inclusive.most_common(400)),
            "own": dict(self.own.most_common(400)),
        }


class ThreadProfiles:
    """cProfile on the CPU clock of each thread that runs a unit of work, and of the event loop: a
    thread waiting for the GIL or a socket is charged nothing (cProfile's own cost inflates calls)."""

    def __init__(self) -> None:
        self.local = threading.local()
        self.profiles: list[cProfile.Profile] = []
        self.on = False

    def wrap(self, unit: Any) -> Any:
        def profiled(*args: Any) -> Any:
            if not self.on:
                return unit(*args)
            profile = getattr(self.local, "profile", None)
            if profile is None:
                profile = self.local.profile = cProfile.Profile(time.thread_time)
                self.profiles.append(profile)
            profile.enable()
            try:
                return unit(*args)
            finally:
                profile.disable()

        return profiled

    def dump(self, path: str) -> None:
        stats = pstats.Stats(*self.profiles) if self.profiles else None
        if stats is not None:
            stats.dump_stats(path)


class CpuMeter(threading.Thread):
    """CPU seconds used by the server's processes, this process (the load generator or the bare-SQL
    client) and the PostgreSQL backends of this database, sampled every 0.2 s so that a backend which
    exits keeps what it used until its last sample."""

    def __init__(self, url: str, server_pid: int) -> None:
        super().__init__(daemon=True, name="cpu-meter")
        self.url, self.server_pid = url, server_pid
        self.seen: dict[int, float] = {}
        self.start_values: dict[int, float] = {}
        self.running = True
        self.baseline = True
        import psycopg

        self.conn = psycopg.connect(url, autocommit=True)

    def backends(self) -> list[int]:
        rows = self.conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
        return [r[0] for r in rows]

    def sample(self) -> None:
        from assign_crowd import _ticks

        tick = os.sysconf("SC_CLK_TCK")
        children = [
            int(p)
            for p in Path(f"/proc/{self.server_pid}/task/{self.server_pid}/children").read_text().split()
        ]
        for pid in [self.server_pid, *children, *self.backends()]:
            used = _ticks(pid) / tick
            if used:
                # A process first seen after the baseline started meanwhile: all its CPU counts.
                self.start_values.setdefault(pid, used if self.baseline else 0.0)
                self.seen[pid] = used

    def run(self) -> None:
        while self.running:
            self.sample()
            time.sleep(0.2)

    def measure(self, work: Any) -> tuple[Any, dict[str, float]]:
        """Run ``work()``; the CPU each part used meanwhile."""
        self.seen, self.start_values, self.baseline = {}, {}, True
        self.sample()
        self.baseline = False
        own = time.process_time()
        result = work()
        self.sample()
        own = time.process_time() - own
        server = {
            self.server_pid,
            *[
                int(p)
                for p in Path(f"/proc/{self.server_pid}/task/{self.server_pid}/children").read_text().split()
            ],
        }
        used = {pid: self.seen[pid] - self.start_values.get(pid, 0.0) for pid in self.seen}
        return result, {
            "server": sum(v for pid, v in used.items() if pid in server),
            "postgres": sum(v for pid, v in used.items() if pid not in server),
            "client": own,
        }


def cpu_main(args: argparse.Namespace) -> None:
    """Machine CPU per pair of ours, the no-op floor and the bare-SQL ceiling: on a machine whose cores
    are all busy, rate = cores / CPU per pair, so (floor + ceiling CPU) / our CPU is the issue's
    fraction of the combined floor with the machine's other load taken out."""
    import assign
    from assign_sql import sql_level

    assign.PG_DB = PG_DB
    url = assign.fresh_database()
    tokens = assign.make_people(url, args.clients)
    uids = assign.user_ids(url)
    pid = assign.make_project(url, "main", args.items)
    sql_pid = assign.make_project(url, "sql", args.items)
    server = assign.Server(url, args.workers)
    results: dict[str, dict[str, float]] = {}
    try:
        asyncio.run(assign.http_level(server.base, tokens, pid, args.clients, 2.0))
        meter = CpuMeter(url, server.proc.pid)
        meter.start()
        load = os.getloadavg()
        for name, work in (
            (
                "ours",
                lambda: asyncio.run(assign.http_level(server.base, tokens, pid, args.clients, args.seconds)),
            ),
            ("floor", lambda: asyncio.run(assign.http_floor(server.base, args.clients, args.seconds))),
            ("sql", lambda: sql_level(url, uids, sql_pid, args.clients, args.seconds)),
        ):
            run, used = meter.measure(work)
            pairs = max(run.claims, 1)
            results[name] = {k: round(v / pairs * 1000, 3) for k, v in used.items()} | {
                "pairs_per_s": round(run.claims / run.seconds, 1)
            }
            results[name]["total"] = round(sum(results[name][k] for k in ("server", "postgres", "client")), 3)
    finally:
        server.stop()
    print(f"load average {load} -> {os.getloadavg()}; {args.clients} clients, --workers {args.workers}")
    print(f"{'':8} {'pairs/s':>8} {'server':>8} {'postgres':>9} {'client':>8} {'total ms CPU/pair':>18}")
    for name, r in results.items():
        print(
            f"{name:8} {r['pairs_per_s']:8} {r['server']:8} {r['postgres']:9} {r['client']:8} {r['total']:18}"
        )
    fraction = (results["floor"]["total"] + results["sql"]["total"]) / results["ours"]["total"]
    print(f"CPU fraction of the combined floor: {fraction:.2f}")


def serve(url: str, port: int, out: str) -> None:
    """The child: ``quorum serve``'s app under uvicorn with the sampler, until SIGINT (then the report)."""
    import uvicorn

    from quorum.config import Settings
    from quorum.web import deps
    from quorum.web.app import create_app

    profiles = ThreadProfiles() if os.environ.get("PROFILE_CPROFILE") else None
    if profiles is not None:
        deps._authenticated_unit = profiles.wrap(deps._authenticated_unit)
        deps._unit = profiles.wrap(deps._unit)
    app = create_app(Settings(database_url=url, data_dir=tempfile.mkdtemp()))
    sampler = Sampler()
    started: list[float] = []
    loop_profile = cProfile.Profile(time.thread_time)

    def start(*_: Any) -> None:
        started.append(time.process_time())
        if profiles is not None:
            profiles.on = True
            profiles.profiles.append(loop_profile)
            loop_profile.enable()
        else:
            sampler.start()

    signal.signal(signal.SIGUSR1, start)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="info", proxy_headers=False)
    try:
        uvicorn.Server(config).run()
    except KeyboardInterrupt:
        pass  # uvicorn re-raises the SIGINT that stopped it
    finally:
        sampler.running = False
        if profiles is not None:
            loop_profile.disable()
            profiles.on = False
            profiles.dump(out + ".work.prof")
        result = sampler.report() | {"process_cpu_s": time.process_time() - started[0] if started else 0.0}
        Path(out).write_text(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cpu", action="store_true", help="CPU per pair of ours, the floor and the ceiling")
    parser.add_argument("--serve", nargs=3, metavar=("URL", "PORT", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), args.serve[2])
        return
    if args.cpu:
        cpu_main(args)
        return

    import assign

    assign.PG_DB = PG_DB
    url = assign.fresh_database()
    tokens = assign.make_people(url, args.clients)
    pid = assign.make_project(url, "main", args.items)
    port = assign.free_port()
    out = Path(tempfile.mkdtemp()) / "profile.json"
    log = Path(tempfile.mkdtemp()) / "server.log"
    env = {**os.environ, "QUORUM_DATABASE_URL": url, "QUORUM_DATA_DIR": tempfile.mkdtemp()}
    with log.open("wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", url, str(port), str(out)],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        # Warm caches (compiled statements, the pool) before sampling starts.
        asyncio.run(assign.http_level(base, tokens, pid, args.clients, 2.0))
        load = os.getloadavg()
        proc.send_signal(signal.SIGUSR1)
        run = asyncio.run(assign.http_level(base, tokens, pid, args.clients, args.seconds))
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    if not out.exists():
        raise SystemExit("the server wrote no profile:\n" + log.read_text(errors="replace")[-3000:])
    report = json.loads(out.read_text())
    pairs = max(run.claims, 1)
    print(
        f"load average {load} -> {os.getloadavg()}; {run.claims / run.seconds:.1f} pairs/s, errors {run.errors}"
    )
    if Path(f"{out}.work.prof").exists():
        stats = pstats.Stats(f"{out}.work.prof")
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)
    print(f"server process CPU per pair: {report['process_cpu_s'] / pairs * 1000:.2f} ms")
    for name, seconds in sorted(report["by_thread"].items(), key=lambda kv: -kv[1]):
        print(f"  {name:<16} {seconds / pairs * 1000:6.2f} ms per pair")
    for title in ("inclusive", "own"):
        print(f"\n{title} (ms per pair)")
        for where, seconds in list(report[title].items())[: args.top]:
            print(f"  {seconds / pairs * 1000:6.3f}  {where}")


if __name__ == "__main__":
    main()
