"""`vigila simulate PACK`: a pack's simulated traffic to a server, a file or stdout."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import httpx
import msgspec
import typer

from vigila.cli.common import console, fail
from vigila.packs.base import UnknownPack, load_packs
from vigila.simulate.source import event_stream, paced_batches, primed


def simulate(
    pack: Annotated[str, typer.Argument(help="Pack whose simulator to run, e.g. fabric.")],
    rate: Annotated[float, typer.Option(min=0.001, help="Events per second.")] = 100.0,
    count: Annotated[int | None, typer.Option(min=1, help="Stop after this many events.")]
    = None,
    seed: Annotated[int, typer.Option(help="Same seed, same events.")] = 0,
    nodes: Annotated[int, typer.Option(min=1, max=100_000)] = 64,
    ports: Annotated[int, typer.Option(min=1, max=64)] = 2,
    start: Annotated[float | None, typer.Option(
        help="Simulated start, Unix seconds (default: now).")] = None,
    faults: Annotated[str, typer.Option(
        help="Incidents to inject: TYPE@PORT:START+DURATION[*SEVERITY] items and/or "
             "random:N, comma-separated (see docs/packs/fabric.md).")] = "",
    to: Annotated[str | None, typer.Option("--to", help="POST batches to this server.")]
    = None,
    out: Annotated[Path | None, typer.Option(help="Write NDJSON here ('-' for stdout).")]
    = None,
    api_key: Annotated[str | None, typer.Option(envvar="VIGILA_API_KEY")] = None,
) -> None:
    """Generate events. With --out, as fast as possible; with --to, paced at --rate."""
    try:
        (chosen,) = load_packs([pack])
        events = event_stream(chosen, start=time.time() if start is None else start, rate=rate,
                              seed=seed, nodes=nodes, ports=ports, count=count, faults=faults)
        events = primed(events)
    except (UnknownPack, ValueError) as exc:
        raise fail(str(exc), 2) from None
    if to is None:
        _write(events, out)
        return
    headers = {"content-type": "application/json"}
    if api_key:
        headers["authorization"] = f"Bearer {api_key}"
    sent = 0
    with httpx.Client(base_url=to, headers=headers, timeout=30) as client:
        for body in paced_batches(events, rate):
            response = client.post("/v1/events", content=body)
            if response.status_code >= 400 and response.status_code != 422:
                raise fail(f"HTTP {response.status_code}: {response.text[:300]}")
            sent += response.json()["accepted"]
            console.print(f"\rsent {sent} events", end="")
    console.print()


def _write(events, out: Path | None) -> None:  # type: ignore[no-untyped-def]
    encode = msgspec.json.encode
    sink = sys.stdout.buffer if out is None or str(out) == "-" else out.open("wb")
    try:
        for event in events:
            sink.write(encode(event) + b"\n")
    finally:
        if sink is not sys.stdout.buffer:
            sink.close()
