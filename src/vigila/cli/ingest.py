"""`vigila ingest FILE...`: send JSON / NDJSON files (gzip too) to a server or a data dir."""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import httpx
import msgspec
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from vigila.cli.common import (
    ConfigFile,
    DataDir,
    Json,
    Profile,
    console,
    fail,
    print_json,
    print_table,
    settings,
)
from vigila.ingest.errors import IngestError
from vigila.runtime import Runtime

_items = msgspec.json.Decoder(list[msgspec.Raw])
Send = Callable[[bytes], dict]


def read_events(path: Path) -> list[bytes]:
    """The raw events of a file: a JSON array, one JSON object, or NDJSON; `.gz` or not."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    head = data.lstrip()[:1]
    if head == b"[":
        try:
            return [bytes(item) for item in _items.decode(data)]
        except msgspec.DecodeError as exc:
            raise ValueError(f"{path}: not a valid JSON array: {exc}") from None
    return [line for line in data.split(b"\n") if line.strip()]


def batches(events: list[bytes], size: int) -> Iterator[tuple[int, bytes]]:
    for start in range(0, len(events), size):
        yield start, b"[" + b",".join(events[start : start + size]) + b"]"


def _http_sender(url: str, api_key: str | None) -> Send:
    headers = {"content-type": "application/json"}
    if api_key:
        headers["authorization"] = f"Bearer {api_key}"
    client = httpx.Client(base_url=url, headers=headers, timeout=60)

    def send(body: bytes) -> dict:
        response = client.post("/v1/events", content=body)
        if response.status_code == 429:
            raise OSError("the server is applying backpressure (429); retry later")
        if response.status_code not in (200, 207, 422):
            raise OSError(f"HTTP {response.status_code}: {response.text[:300]}")
        return response.json()

    return send


def _local_sender(rt: Runtime) -> Send:
    def send(body: bytes) -> dict:
        result = rt.ingest.ingest(body, rt.log.append, rt.store.add_dead_letters)
        return msgspec.to_builtins(result)

    return send


def ingest(
    files: Annotated[list[Path], typer.Argument(help="JSON, NDJSON or gzip files.",
                                                exists=True, dir_okay=False)],
    url: Annotated[str | None, typer.Option(
        help="Send to this server (default: write into the data directory).",
        envvar="VIGILA_URL")] = None,
    api_key: Annotated[str | None, typer.Option(envvar="VIGILA_API_KEY",
                                                help="API key for --url.")] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=10_000)] = 1000,
    data_dir: DataDir = None,
    profile: Profile = None,
    config: ConfigFile = None,
    json: Json = False,
) -> None:
    """Ingest event files and print what was accepted and rejected."""
    rt = None
    if url:
        send = _http_sender(url, api_key)
    else:
        rt = Runtime(settings(profile, config, data_dir).config)
        send = _local_sender(rt)
    try:
        summary = _send_files(files, send, batch_size, quiet=json)
    finally:
        if rt is not None:
            rt.stop()
    if json:
        print_json(summary)
        return
    totals = summary["totals"]
    console.print(f"accepted {totals['accepted']} (duplicates {totals['duplicates']}), "
                  f"rejected {totals['rejected']}")
    errors = [[f["file"], r["index"], r["error"]] for f in summary["files"]
              for r in f["rejected"][:20]]
    if errors:
        print_table("Rejected events (first 20 per file)", ["file", "index", "error"], errors)
    if totals["rejected"]:
        raise typer.Exit(1)


def _send_files(files: list[Path], send: Send, batch_size: int, quiet: bool) -> dict:
    per_file = []
    totals = {"accepted": 0, "duplicates": 0, "rejected": 0}
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, disable=quiet or not os.isatty(1)
                  ) as progress:
        for path in files:
            try:
                events = read_events(path)
            except (ValueError, OSError) as exc:
                raise fail(str(exc)) from None
            task = progress.add_task(path.name, total=len(events))
            found = {"file": str(path), "accepted": 0, "duplicates": 0, "rejected": []}
            for start, body in batches(events, batch_size):
                try:
                    result = send(body)
                except (IngestError, OSError, httpx.HTTPError) as exc:
                    raise fail(f"{path}: {exc}") from None
                found["accepted"] += result["accepted"]
                found["duplicates"] += result["duplicates"]
                found["rejected"] += [{"index": start + r["index"], "error": r["error"]}
                                      for r in result["rejected"]]
                progress.advance(task, min(batch_size, len(events) - start))
            per_file.append(found)
            totals["accepted"] += found["accepted"]
            totals["duplicates"] += found["duplicates"]
            totals["rejected"] += len(found["rejected"])
    return {"files": per_file, "totals": totals}
