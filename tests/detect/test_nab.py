"""Smoke test on two series of the Numenta Anomaly Benchmark, when the corpus is present."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from vigila.detect.csvio import detect_files

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
NAB = SHARED / "data" / "nab"
SCORER = SHARED / "tools" / "nabscore.py"
FILES = ["realKnownCause/nyc_taxi.csv", "artificialWithAnomaly/art_daily_jumpsup.csv"]

pytestmark = pytest.mark.skipif(
    not (NAB / "labels").is_dir() or not SCORER.is_file(), reason="NAB corpus not available"
)


def test_default_detector_scores_well_on_two_nab_series(tmp_path: Path) -> None:
    inputs = [NAB / "data" / (name + ".gz") for name in FILES]
    results = detect_files(inputs, tmp_path, root=NAB / "data")
    assert sum(r.points for r in results) == 10_320 + 4_032
    run = subprocess.run(
        [
            sys.executable,
            str(SCORER),
            "--nab",
            str(NAB),
            "--results",
            str(tmp_path),
            "--allow-missing",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    scores = json.loads(run.stdout)
    assert scores["files"] == 2 and scores["windows"] == 6
    assert scores["standard"] >= 80.0, scores
