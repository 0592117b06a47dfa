"""``vigila detect``: score timestamp,value CSV files with a streaming detector."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from vigila.detect.csvio import CSVFormatError, FileResult, detect_files
from vigila.detect.registry import DETECTORS


def detect(
    inputs: list[Path] = typer.Argument(
        ..., exists=True, dir_okay=False, help="timestamp,value CSV files (.csv or .csv.gz)."
    ),
    out_dir: Path = typer.Option(
        ..., "--out-dir", help="Where to write timestamp,value,anomaly_score CSVs."
    ),
    detector: str = typer.Option(
        "default", "--detector", help=f"One of: {', '.join(sorted(DETECTORS))}."
    ),
    root: Path | None = typer.Option(
        None,
        "--root",
        file_okay=False,
        help="Outputs mirror input paths relative to this directory "
        "(default: the common parent of the inputs).",
    ),
) -> None:
    """Score each row before learning it; write one anomaly score per row."""
    console = Console(stderr=True)
    start = time.perf_counter()
    try:
        with Progress(
            TextColumn("[bold]detect"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[points]:,} points"),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("files", total=len(inputs), points=0)

            def advance(result: FileResult) -> None:
                done = progress.tasks[task].fields["points"] + result.points
                progress.update(task, advance=1, points=done)

            results = detect_files(inputs, out_dir, detector=detector, root=root, on_file=advance)
    except (CSVFormatError, ValueError) as err:
        console.print(f"[red]error:[/red] {err}")
        raise typer.Exit(code=1) from None
    points = sum(r.points for r in results)
    elapsed = time.perf_counter() - start
    console.print(
        f"scored {points:,} points in {len(results)} files into {out_dir} "
        f"({points / max(elapsed, 1e-9):,.0f} points/s)"
    )
