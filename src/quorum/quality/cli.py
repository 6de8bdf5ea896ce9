"""``quorum aggregate`` and ``quorum agreement``: the quality math on plain CSV files; ``quorum quality``:
a project's report.

Both commands are thin: read (``csv_input``), call ``quorum.core``, render. Bad input exits with
code 2 and a message naming the row and field on stderr; outputs are written to a temporary file
in the target folder and renamed into place only once complete, so a failed run leaves no file.
"""

from __future__ import annotations

import csv
import json
import math
import os
import tempfile
from collections.abc import Callable
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer
from rich.console import Console
from rich.table import Table

from quorum.cli_support import handle_errors, settings, unit_of_work
from quorum.errors import Invalid

# The statistics (NumPy, SciPy) are imported by the commands that use them: every other command of the
# CLI starts without them.
if TYPE_CHECKING:
    from quorum.core.aggregation import AggregationResult
    from quorum.core.aggregation.encoding import Encoded
    from quorum.core.agreement import Estimate
    from quorum.quality.csv_input import RatingsFile

BAD_INPUT = 2


class Method(StrEnum):
    mv = "mv"
    ds = "ds"
    glad = "glad"
    mace = "mace"


class LevelChoice(StrEnum):
    nominal = "nominal"
    ordinal = "ordinal"
    interval = "interval"
    ratio = "ratio"


InputFile = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, show_default=False)]


def _fail(error: Invalid) -> typer.Exit:
    typer.echo(f"error: {error.message}", err=True)
    return typer.Exit(code=BAD_INPUT)


def _umask() -> int:
    # The only portable way to read the umask is to set it and put it back (single-threaded CLI).
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_all(outputs: list[tuple[Path, Callable[[TextIO], None]]]) -> None:
    """Write every output to a temporary sibling, then rename them all into place: a failure
    before the renames leaves no output (and any previous file untouched)."""
    written: list[tuple[Path, Path]] = []
    try:
        for path, write in outputs:
            fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            written.append((Path(name), path))
            with open(fd, "w", newline="", encoding="utf-8") as handle:
                write(handle)
            # mkstemp creates the file private (0600); give the output the usual permissions.
            Path(name).chmod(0o666 & ~_umask())
        for temporary, path in written:
            os.replace(temporary, path)
    finally:
        for temporary, _ in written:
            temporary.unlink(missing_ok=True)


def _write_truth(out: TextIO, coded: Encoded, result: AggregationResult) -> None:
    writer = csv.writer(out)
    writer.writerow(["question", "truth", "confidence"])
    for name, label, confidence in zip(coded.task_names, result.labels, result.confidence, strict=True):
        writer.writerow([name, coded.label_names[label] if label >= 0 else "", f"{confidence:.6f}"])


def _write_workers(out: TextIO, coded: Encoded, result: AggregationResult) -> None:
    writer = csv.writer(out)
    writer.writerow(["worker", "accuracy", "n_answers"])
    for name, accuracy, n_answers in zip(
        coded.worker_names, result.worker_accuracy, result.worker_answers, strict=True
    ):
        writer.writerow([name, "" if math.isnan(accuracy) else f"{accuracy:.6f}", int(n_answers)])


def aggregate(
    answers: InputFile,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write question,truth,confidence.")],
    method: Annotated[Method, typer.Option("--method", "-m", help="Aggregation method.")] = Method.ds,
    workers_out: Annotated[
        Path | None, typer.Option("--workers-out", help="Also write worker,accuracy,n_answers here.")
    ] = None,
) -> None:
    """Aggregate question,worker,answer rows into one answer per question with a confidence.

    The header line's names are ignored (columns are taken by position). When a worker answered a
    question more than once, their last answer counts. Methods: mv = majority vote (ties go to the
    label most frequent overall, then the smallest), ds = Dawid-Skene, glad = GLAD, mace = MACE.
    """
    from quorum.core.aggregation import METHODS
    from quorum.quality.csv_input import read_answers

    try:
        coded = read_answers(answers)
    except Invalid as error:
        raise _fail(error) from None
    result = METHODS[method.value](
        coded.tasks, coded.workers, coded.labels, coded.n_tasks, coded.n_workers, coded.n_labels
    )
    outputs: list[tuple[Path, Callable[[TextIO], None]]] = [
        (out, partial(_write_truth, coded=coded, result=result))
    ]
    if workers_out is not None:
        outputs.append((workers_out, partial(_write_workers, coded=coded, result=result)))
    try:
        _write_all(outputs)
    except OSError as error:
        typer.echo(f"error: cannot write {error.filename or out}: {error.strerror}", err=True)
        raise typer.Exit(code=1) from None
    fit = "" if method == Method.mv else f"; {result.n_iter} iterations, converged: {result.converged}"
    typer.echo(
        f"{method.value}: {coded.n_answers} answers ({coded.n_duplicates} repeated answers dropped), "
        f"{coded.n_tasks} questions, {coded.n_workers} workers, {coded.n_labels} labels{fit}",
        err=True,
    )


def _summary(data: RatingsFile, level: LevelChoice, n_boot: int, seed: int) -> dict[str, Any]:
    import numpy as np

    from quorum.core.agreement import cohen_kappa, fleiss_kappa, krippendorff_alpha, percent_agreement

    ratings = data.ratings
    options: dict[str, Any] = {"n_boot": n_boot, "seed": seed}
    results: dict[str, Estimate | None] = {
        "alpha": krippendorff_alpha(ratings, level.value, **options),
        "percent_agreement": percent_agreement(ratings, **options),
        "fleiss_kappa": None,
        "cohen_kappa": None,
    }
    if level == LevelChoice.nominal:
        per_item = np.bincount(ratings.units, minlength=ratings.n_units)
        rated = per_item[per_item > 0]
        if rated.size and rated.min() == rated.max() >= 2:
            results["fleiss_kappa"] = fleiss_kappa(ratings, **options)
        if ratings.n_raters == 2:
            matrix = ratings.matrix()
            results["cohen_kappa"] = cohen_kappa(matrix[:, 0], matrix[:, 1], **options)
    summary: dict[str, Any] = {
        "level": level.value,
        "n_items": ratings.n_units,
        "n_raters": ratings.n_raters,
        "n_values": int(ratings.values.size),
        "duplicates_dropped": ratings.n_duplicates,
        "n_boot": n_boot,
        "seed": seed,
        "confidence": 0.95,
    }
    for name, estimate in results.items():
        summary[name] = None if estimate is None else _finite(estimate.value)
        summary[f"{name}_ci"] = None if estimate is None or n_boot == 0 else [_finite(v) for v in estimate.ci]
    return summary


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _render(summary: dict[str, Any]) -> None:
    table = Table(title=f"Agreement ({summary['level']})")
    table.add_column("statistic")
    table.add_column("value", justify="right")
    table.add_column("95% CI" if summary["n_boot"] else "CI", justify="right")
    for name, label in [
        ("alpha", "Krippendorff's alpha"),
        ("percent_agreement", "pairwise percent agreement"),
        ("fleiss_kappa", "Fleiss' kappa"),
        ("cohen_kappa", "Cohen's kappa"),
    ]:
        if name not in ("alpha", "percent_agreement") and summary[name] is None:
            continue
        value = "undefined" if summary[name] is None else f"{summary[name]:.3f}"
        ci = summary[f"{name}_ci"]
        shown = "-" if not ci or None in ci else f"[{ci[0]:.3f}, {ci[1]:.3f}]"
        table.add_row(label, value, shown)
    table.caption = (
        f"{summary['n_items']} items, {summary['n_raters']} raters, {summary['n_values']} values; "
        f"{summary['duplicates_dropped']} repeated values dropped; "
        f"bootstrap: {summary['n_boot']} resamples of items, seed {summary['seed']}"
    )
    Console().print(table)


def agreement(
    ratings: InputFile,
    level: Annotated[LevelChoice, typer.Option("--level", "-l", help="Level of measurement.")] = (
        LevelChoice.nominal
    ),
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of a table.")
    ] = False,
    n_boot: Annotated[int, typer.Option("--bootstrap", min=0, help="Bootstrap resamples (0: no CI).")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed for the bootstrap.")] = 0,
) -> None:
    """Agreement between raters from item,rater,value rows (header names ignored).

    Prints Krippendorff's alpha at the given level with a percentile bootstrap interval over items,
    pairwise percent agreement, and at the nominal level Fleiss' kappa (when every item has the same
    number of ratings) and Cohen's kappa (when there are exactly two raters).
    """
    from quorum.quality.csv_input import read_ratings

    try:
        data = read_ratings(ratings, level.value)
    except Invalid as error:
        raise _fail(error) from None
    summary = _summary(data, level, n_boot, seed)
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        _render(summary)


@handle_errors
def project_quality(
    project: Annotated[str, typer.Argument(help="Project id or name.")],
    method: Annotated[Method, typer.Option(help="Consensus method.")] = Method.mv,
    n_boot: Annotated[int, typer.Option("--bootstrap", help="Bootstrap resamples (0-2000).")] = 200,
    threshold: Annotated[float, typer.Option(help="Low-confidence threshold.")] = 0.6,
) -> None:
    """A project's quality report as JSON (what ``GET /api/v1/projects/{p}/quality`` answers), computed here.
    From ``QUORUM_QUALITY_JOB_MIN_JUDGMENTS`` judgments it is also stored as the cached report the API and
    the page answer with, as the ``quality_report`` job would (a script may refresh it, e.g. nightly)."""
    from quorum.accounts.access import find_project
    from quorum.quality import cache
    from quorum.quality.service import quality_report

    options = cache.Options(method.value, n_boot, threshold)
    options.check()
    with unit_of_work() as db:
        found = find_project(db, project)
        if cache.n_judgments(db, found) >= settings().quality_job_min_judgments:
            report = cache.compute_and_store(db, found, options).report
        else:
            report = quality_report(
                db, found, method=options.method, n_boot=n_boot, threshold=threshold
            ).to_dict()
    typer.echo(json.dumps(report))


def register(app: typer.Typer) -> None:
    """Add the ``aggregate``, ``agreement`` and ``quality`` commands to the root CLI."""
    app.command("aggregate")(aggregate)
    app.command("agreement")(agreement)
    app.command("quality")(project_quality)
