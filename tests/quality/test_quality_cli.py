"""``aggregate`` and ``agreement`` through Typer, on real files: small hand-made ones, the reference
data sets, and malformed input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner, Result

from ci import skip_or_fail
from quorum.quality.cli import register

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
runner = CliRunner()


def invoke(*args: str | Path) -> Result:
    app = typer.Typer()
    register(app)
    return runner.invoke(app, [str(arg) for arg in args])


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


@pytest.fixture(scope="module")
def crowd() -> Path:
    path = DATA / "crowd"
    if not path.is_dir():
        message = f"reference data sets not found at {path} (see shared/data/README.md)"
        skip_or_fail(message)
    return path


ANSWERS = """task_id,annotator,label
q1,ann,cat
q1,bob,cat
q1,cy,dog
q2,ann,dog
q2,bob,dog
q2,cy,dog
q3,ann,cat
q3,bob,dog
q2,cy,cat
"""


@pytest.mark.parametrize("method", ["mv", "ds", "glad", "mace"])
def test_aggregate_writes_truth_and_worker_files(tmp_path: Path, method: str) -> None:
    answers = write(tmp_path / "answers.csv", ANSWERS)
    result = invoke(
        "aggregate",
        answers,
        "--method",
        method,
        "--out",
        tmp_path / "truth.csv",
        "--workers-out",
        tmp_path / "w.csv",
    )
    assert result.exit_code == 0, result.stderr
    truth = read_csv(tmp_path / "truth.csv")
    assert truth[0] == ["question", "truth", "confidence"]
    assert [row[0] for row in truth[1:]] == ["q1", "q2", "q3"]
    assert truth[1][1] == "cat" and all(0.0 < float(row[2]) <= 1.0 for row in truth[1:])
    workers = read_csv(tmp_path / "w.csv")
    assert workers[0] == ["worker", "accuracy", "n_answers"]
    assert {row[0]: int(row[2]) for row in workers[1:]} == {"ann": 3, "bob": 3, "cy": 2}
    # The repeated (q2, cy) answer: the last one counts, and the summary says one was dropped.
    assert "8 answers (1 repeated answers dropped), 3 questions, 3 workers, 2 labels" in result.stderr
    assert method in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.csv", "truth.csv", "w.csv"]


def test_majority_vote_uses_the_last_repeated_answer(tmp_path: Path) -> None:
    answers = write(tmp_path / "a.csv", "q,w,a\nx,w1,yes\nx,w1,no\nx,w2,no\n")
    assert invoke("aggregate", answers, "-m", "mv", "-o", tmp_path / "t.csv").exit_code == 0
    assert read_csv(tmp_path / "t.csv")[1] == ["x", "no", "1.000000"]


BAD_ANSWERS = [
    ("q,w,a\nq1,w1,1\nq2,w2\n", "row 3", "expected 3 columns"),
    ("q,w,a\nq1,,1\n", "row 2, field 'worker'", "empty value"),
    ("q,w,a,extra\nq1,w1,1,x\n", "row 1", "expected 3 columns"),
    ("", "row 1", "empty file"),
    ("q,w,a\n", "row 2", "no answers"),
    (b"q,w,a\nq1,w1,\xff\xfe\n", "row 2", "not UTF-8"),
]


@pytest.mark.parametrize(("content", "where", "what"), BAD_ANSWERS)
def test_aggregate_rejects_bad_input_without_writing(
    tmp_path: Path, content: str | bytes, where: str, what: str
) -> None:
    answers = write(tmp_path / "answers.csv", content)
    result = invoke(
        "aggregate", answers, "--out", tmp_path / "truth.csv", "--workers-out", tmp_path / "w.csv"
    )
    assert result.exit_code == 2
    assert where in result.stderr and what in result.stderr
    assert result.stdout == ""
    assert [p.name for p in tmp_path.iterdir()] == ["answers.csv"]


def test_failed_run_leaves_an_existing_output_untouched(tmp_path: Path) -> None:
    out = write(tmp_path / "truth.csv", "previous\n")
    answers = write(tmp_path / "answers.csv", "q,w,a\nq1,w1\n")
    assert invoke("aggregate", answers, "--out", out).exit_code == 2
    assert out.read_text() == "previous\n"


def test_unwritable_output_leaves_no_file(tmp_path: Path) -> None:
    answers = write(tmp_path / "answers.csv", ANSWERS)
    result = invoke(
        "aggregate", answers, "--out", tmp_path / "t.csv", "--workers-out", tmp_path / "no" / "w.csv"
    )
    assert result.exit_code == 1 and "cannot write" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["answers.csv"]


def test_missing_input_file_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("aggregate", tmp_path / "nope.csv", "--out", tmp_path / "t.csv")
    assert result.exit_code == 2 and not (tmp_path / "t.csv").exists()


def long_rows(matrix: np.ndarray) -> str:
    lines = ["unit,coder,rating"]
    for unit, row in enumerate(matrix):
        lines += [f"u{unit},r{rater},{value:g}" for rater, value in enumerate(row) if not np.isnan(value)]
    return "\n".join(lines) + "\n"


KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, np.nan, np.nan, np.nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, np.nan, 3],
        [np.nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, np.nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, np.nan],
    ]
).T


@pytest.mark.parametrize(
    ("level", "alpha"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)]
)
def test_agreement_json_on_the_krippendorff_example(tmp_path: Path, level: str, alpha: float) -> None:
    ratings = write(tmp_path / "ratings.csv", long_rows(KRIPPENDORFF_2011))
    result = invoke("agreement", ratings, "--level", level, "--json", "--bootstrap", "300", "--seed", "5")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["alpha"] == pytest.approx(alpha, abs=5e-4)
    low, high = summary["alpha_ci"]
    assert low <= summary["alpha"] <= high
    assert (summary["level"], summary["n_items"], summary["n_raters"], summary["n_values"]) == (
        level,
        12,
        4,
        41,
    )
    assert summary["cohen_kappa"] is None and summary["fleiss_kappa"] is None  # 4 raters, uneven items
    assert (
        json.loads(
            invoke(
                "agreement", ratings, "--level", level, "--json", "--bootstrap", "300", "--seed", "5"
            ).stdout
        )
        == summary
    )


def test_agreement_kappas_when_they_apply(tmp_path: Path) -> None:
    pairs = [("y", "y")] * 20 + [("y", "n")] * 5 + [("n", "y")] * 10 + [("n", "n")] * 15
    two = "\n".join(["i,r,v"] + [f"i{k},a,{x}\ni{k},b,{y}" for k, (x, y) in enumerate(pairs)])
    summary = json.loads(invoke("agreement", write(tmp_path / "two.csv", two), "--json").stdout)
    assert summary["cohen_kappa"] == pytest.approx(0.4)
    assert summary["fleiss_kappa"] is not None and len(summary["cohen_kappa_ci"]) == 2
    fleiss = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1]]
    fleiss += [[7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    rows = ["i,r,v"]
    for subject, counts in enumerate(fleiss):
        values = np.repeat(np.arange(1, 6), counts)
        rows += [f"s{subject},r{rater},c{value}" for rater, value in enumerate(values)]
    summary = json.loads(
        invoke("agreement", write(tmp_path / "f.csv", "\n".join(rows)), "--json", "--bootstrap", "0").stdout
    )
    assert summary["fleiss_kappa"] == pytest.approx(0.210, abs=5e-4)
    assert summary["alpha_ci"] is None and summary["cohen_kappa"] is None


def test_agreement_table_output(tmp_path: Path) -> None:
    ratings = write(tmp_path / "ratings.csv", long_rows(KRIPPENDORFF_2011))
    result = invoke("agreement", ratings, "--bootstrap", "100")
    assert result.exit_code == 0
    assert "Krippendorff's alpha" in result.stdout and "0.743" in result.stdout
    assert "pairwise percent agreement" in result.stdout


BAD_RATINGS = [
    ("interval", "i,r,v\ni1,r1,3\ni1,r2,high\n", "row 3, field 'value'", "not a number"),
    ("ratio", "i,r,v\ni1,r1,-2\n", "row 2, field 'value'", "negative"),
    ("ordinal", "i,r,v\ni1,r1,nan\n", "row 2, field 'value'", "not a finite number"),
    ("nominal", "i,r,v\ni1, ,a\n", "row 2, field 'rater'", "empty value"),
    ("nominal", "i,r,v\ni1,r1,a,b\n", "row 2", "expected 3 columns"),
    ("nominal", "", "row 1", "empty file"),
]


@pytest.mark.parametrize(("level", "content", "where", "what"), BAD_RATINGS)
def test_agreement_rejects_bad_input(tmp_path: Path, level: str, content: str, where: str, what: str) -> None:
    result = invoke("agreement", write(tmp_path / "r.csv", content), "--level", level, "--json")
    assert result.exit_code == 2
    assert where in result.stderr and what in result.stderr
    assert result.stdout == ""


def test_aggregate_real_data_set(crowd: Path, tmp_path: Path) -> None:
    folder = crowd / "d_sentiment"
    result = invoke(
        "aggregate",
        folder / "answer.csv",
        "--method",
        "ds",
        "--out",
        tmp_path / "t.csv",
        "--workers-out",
        tmp_path / "w.csv",
    )
    assert result.exit_code == 0, result.stderr
    assert "20000 answers (0 repeated answers dropped), 1000 questions, 85 workers, 2 labels" in result.stderr
    truth = dict(read_csv(folder / "truth.csv")[1:])
    predicted = {question: label for question, label, _ in read_csv(tmp_path / "t.csv")[1:]}
    assert np.mean([predicted[q] == label for q, label in truth.items()]) == pytest.approx(0.960, abs=0.01)
    assert len(read_csv(tmp_path / "w.csv")) == 86


def test_agreement_real_data_set(crowd: Path) -> None:
    result = invoke("agreement", crowd / "s4_Dog_data" / "answer.csv", "--json", "--bootstrap", "200")
    summary = json.loads(result.stdout)
    assert (summary["n_items"], summary["n_raters"], summary["n_values"]) == (807, 109, 8070)
    assert 0.4 < summary["alpha"] < 0.7 and summary["fleiss_kappa"] == pytest.approx(
        summary["alpha"], abs=0.01
    )
    emotion = json.loads(
        invoke(
            "agreement", crowd / "f201_Emotion_FULL" / "answer.csv", "--level", "interval", "--json"
        ).stdout
    )
    assert emotion["n_values"] == 7000 and emotion["fleiss_kappa"] is None
