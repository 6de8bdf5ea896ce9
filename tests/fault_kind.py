"""A job kind for the kill -9 test, loaded into a real ``quorum worker`` process: units in batches of 50,
each unit one audit event written in the batch's transaction with the batch's progress. With ``hold``
(a file path), the batch starting at ``hold_at`` stops half written, its rows not committed, and waits
while that file exists, after creating ``hold + ".held"``: the test kills the worker there."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from quorum import audit
from quorum.jobs.registry import JobContext, register
from quorum.models import Job

KIND = "test.units"
BATCH = 50


@register(KIND)
def write_units(ctx: JobContext, job: Job) -> dict[str, Any]:
    total = job.params["units"]
    # Resume where the last committed batch ended: a killed worker's open batch was rolled back.
    for start in range(job.progress_done, total, BATCH):
        end = min(start + BATCH, total)
        for unit in range(start, end):
            audit.record(ctx.db, None, "unit", "job", job.id, data={"unit": unit})
            if start == job.params.get("hold_at") and unit == start + BATCH // 2:
                _hold(Path(job.params["hold"]))
        ctx.progress(end, total)
        ctx.check_cancelled()
    return {"units": total}


def _hold(hold: Path) -> None:
    if not hold.exists():
        return
    hold.with_suffix(".held").touch()
    while hold.exists():
        time.sleep(0.02)
