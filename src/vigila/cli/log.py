"""`vigila log`: partitions, lag and seeking the pipeline (replay from an offset or a time)."""

from __future__ import annotations

from typing import Annotated

import typer

from vigila.cli.common import (
    ConfigFile,
    DataDir,
    Json,
    Profile,
    console,
    fail,
    print_json,
    print_table,
    runtime_at,
)

app = typer.Typer(help="Inspect the log and move the pipeline's positions.",
                  no_args_is_help=True)


@app.command("partitions")
def partitions(data_dir: DataDir = None, profile: Profile = None, config: ConfigFile = None,
               json: Json = False) -> None:
    """Offsets, lag and iterator age per partition."""
    with runtime_at(profile, config, data_dir) as rt:
        lags = rt.lag()
    rows = [{"partition": x.partition, "next": x.head, "position": x.position,
             "lag": x.head - x.position, "iterator_age_seconds": round(x.iterator_age, 3)}
            for x in lags]
    if json:
        print_json(rows)
        return
    print_table("log partitions", list(rows[0]), [list(r.values()) for r in rows])


@app.command("seek")
def seek(
    to: Annotated[str | None, typer.Option(help="earliest, latest or an RFC 3339 time.")]
    = None,
    offset: Annotated[list[str] | None, typer.Option(
        help="PARTITION=OFFSET, repeatable.")] = None,
    data_dir: DataDir = None, profile: Profile = None, config: ConfigFile = None,
) -> None:
    """Move the pipeline (run while the server is stopped, or use POST /v1/log/seek)."""
    try:
        offsets = None
        if offset:
            offsets = {int(p): int(o) for p, _, o in (item.partition("=") for item in offset)}
    except ValueError:
        raise fail("--offset takes PARTITION=OFFSET, e.g. --offset 0=1200", 2) from None
    with runtime_at(profile, config, data_dir) as rt:
        try:
            positions = rt.seek_positions(to=to, offsets=offsets)
            rt.store.set_checkpoints("pipeline", positions)
        except ValueError as exc:
            raise fail(str(exc), 2) from None
    console.print("pipeline positions: " + ", ".join(f"{p}={o}" for p, o in positions.items()))
