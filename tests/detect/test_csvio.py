"""Scoring CSV files: layout of outputs, gzip, causality and precise errors."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from vigila.cli.detect import detect
from vigila.detect import make_detector
from vigila.detect.csvio import CSVFormatError, detect_files, parse_time

from .series import level_shift


def write_series(path: Path, rows: list[tuple[str, str]], gz: bool = False) -> Path:
    text = "timestamp,value\n" + "".join(f"{t},{v}\n" for t, v in rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    return path


def nab_rows(n: int = 400) -> list[tuple[str, str]]:
    xs = level_shift()[:n]
    return [
        (f"2024-01-{1 + i // 288:02d} {i % 288 // 12:02d}:{i % 12 * 5:02d}:00", repr(x))
        for i, x in enumerate(xs)
    ]


def read_output(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    return list(csv.DictReader(io.StringIO(raw.decode())))


def test_outputs_mirror_inputs_plain_and_gzip(tmp_path: Path) -> None:
    rows = nab_rows()
    a = write_series(tmp_path / "in" / "web" / "latency.csv", rows)
    b = write_series(tmp_path / "in" / "db" / "cpu.csv.gz", rows, gz=True)
    results = detect_files([a, b], tmp_path / "out")

    assert [r.target for r in results] == [
        tmp_path / "out" / "web" / "latency.csv",
        tmp_path / "out" / "db" / "cpu.csv.gz",
    ]
    for r in results:
        out = read_output(r.target)
        assert r.points == len(out) == len(rows)
        assert [(o["timestamp"], o["value"]) for o in out] == rows
        assert all(0.0 <= float(o["anomaly_score"]) <= 1.0 for o in out)
    assert read_output(results[0].target) == read_output(results[1].target)
    assert not list((tmp_path / "out").rglob("*.partial"))


def test_scores_match_the_detector_and_ignore_later_rows(tmp_path: Path) -> None:
    rows = nab_rows(400)
    full = detect_files([write_series(tmp_path / "full" / "s.csv", rows)], tmp_path / "o1")
    head = detect_files([write_series(tmp_path / "head" / "s.csv", rows[:250])], tmp_path / "o2")
    full_scores = [float(o["anomaly_score"]) for o in read_output(full[0].target)]
    head_scores = [float(o["anomaly_score"]) for o in read_output(head[0].target)]
    assert head_scores == full_scores[:250]
    xs = [float(v) for _, v in rows]
    expected = make_detector("default").score_series(xs, [parse_time(t) for t, _ in rows])
    assert full_scores == expected


def test_root_and_detector_options(tmp_path: Path) -> None:
    src = write_series(tmp_path / "data" / "a" / "s.csv", nab_rows(50))
    (r,) = detect_files([src], tmp_path / "out", detector="ewma", root=tmp_path)
    assert r.target == tmp_path / "out" / "data" / "a" / "s.csv"
    with pytest.raises(ValueError, match="not under the root"):
        detect_files([src], tmp_path / "out", root=tmp_path / "elsewhere")
    with pytest.raises(ValueError, match="unknown detector"):
        detect_files([src], tmp_path / "out", detector="nope")


@pytest.mark.parametrize(
    ("body", "line", "problem"),
    [
        (
            "timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 00:05:00,abc\n",
            3,
            "'abc' is not a finite",
        ),
        ("timestamp,value\n2024-01-01 00:00:00,nan\n", 2, "'nan' is not a finite"),
        ("timestamp,value\n2024-01-01 00:00:00,1\n\nyesterday,2\n", 4, "'yesterday' is neither"),
        ("timestamp,value\n2024-01-01 00:00:00\n", 2, "at least 2 columns"),
        ("timestamp,value\ninf,1\n", 2, "'inf' is neither"),
        ("time,reading\n2024-01-01 00:00:00,1\n", 1, "header with timestamp and value"),
    ],
)
@pytest.mark.parametrize("gz", [False, True])
def test_malformed_rows_name_file_and_line(
    tmp_path: Path, body: str, line: int, problem: str, gz: bool
) -> None:
    name = "bad.csv.gz" if gz else "bad.csv"
    src = tmp_path / "in" / name
    src.parent.mkdir()
    src.write_bytes(gzip.compress(body.encode()) if gz else body.encode())
    with pytest.raises(CSVFormatError, match=problem) as err:
        detect_files([src], tmp_path / "out")
    assert str(err.value).startswith(f"{src}:{line}: ")
    assert not [p for p in tmp_path.joinpath("out").rglob("*") if p.is_file()]


def test_timestamps_iso_or_epoch() -> None:
    assert parse_time("1970-01-01 00:01:00") == 60.0
    assert parse_time("1970-01-01T01:00:00+01:00") == 0.0
    assert parse_time("2024-01-01T00:00:00Z") == 1_704_067_200.0
    assert parse_time("1704067200.5") == 1_704_067_200.5


def cli() -> typer.Typer:
    app = typer.Typer()
    app.command()(detect)
    app.command("version")(lambda: None)  # a second command keeps `detect` a subcommand
    return app


def test_cli_scores_files(tmp_path: Path) -> None:
    src = write_series(tmp_path / "in" / "s.csv.gz", nab_rows(300), gz=True)
    result = CliRunner().invoke(cli(), ["detect", str(src), "--out-dir", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "scored 300 points in 1 files" in result.output
    assert len(read_output(tmp_path / "out" / "s.csv.gz")) == 300


def test_cli_reports_a_malformed_row_and_fails(tmp_path: Path) -> None:
    src = write_series(
        tmp_path / "in" / "s.csv", [("2024-01-01 00:00:00", "1"), ("2024-01-01 00:05:00", "x")]
    )
    result = CliRunner().invoke(cli(), ["detect", str(src), "--out-dir", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert f"{src}:3:" in result.output.replace("\n", "")
