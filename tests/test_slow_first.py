"""The worksteal order: every test kept once, each file in one piece, and each worker's equal run of the
collection opening with its share of the slow files (after the end of a file that crosses the cut)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from slow_first import slow_first


@dataclass
class _Item:
    nodeid: str


def _items(counts: dict[str, int]) -> list[pytest.Item]:
    return [_Item(f"{f}::t{i}") for f, n in counts.items() for i in range(n)]  # type: ignore[misc]


def test_slow_files_open_each_workers_run_and_files_stay_whole() -> None:
    counts = {"a.py": 10, "b.py": 2, "c.py": 30, "d.py": 1, "e.py": 20, "f.py": 3, "g.py": 14}
    items = _items(counts)
    slow = {"b.py": 60.0, "d.py": 40.0, "f.py": 30.0}
    ordered = slow_first(items, 2, slow)
    assert sorted(i.nodeid for i in ordered) == sorted(i.nodeid for i in items)
    files = [i.nodeid.split("::")[0] for i in ordered]
    runs_of_files = [f for k, f in enumerate(files) if k == 0 or files[k - 1] != f]
    assert len(runs_of_files) == len(counts), runs_of_files  # no file split
    half = len(ordered) // 2
    first, second = files[:half], files[half:]
    assert first[0] == "b.py"  # the longest, first on worker one
    # The second run starts where xdist cuts, after the rest of the file the first run ends with.
    second = [f for f in second if f != first[-1]]
    assert set(second[:4]) == {"d.py", "f.py"}, second[:5]
    assert not set(slow) & set(first[-5:] + second[-5:])  # both runs end in quick tests


def test_without_workers_the_slow_files_come_first_longest_first() -> None:
    items = _items({"a.py": 3, "b.py": 1, "c.py": 2})
    ordered = [i.nodeid.split("::")[0] for i in slow_first(items, 1, {"c.py": 5.0, "b.py": 9.0})]
    assert ordered == ["b.py", "c.py", "c.py", "a.py", "a.py", "a.py"]
