"""`vigila replay FILE... --pack fabric --out insights.jsonl`: recorded events through a
pack's whole insight path, offline, on event time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer

from vigila.cli.common import ConfigFile, Profile, err_console, fail, settings
from vigila.cli.ingest import read_events
from vigila.insights.replay import Replay, Replayed, ReplayError
from vigila.packs.base import UnknownPack, load_packs

_any = msgspec.json.Decoder()
Files = Annotated[list[Path], typer.Argument(exists=True, dir_okay=False,
                                             help="Event files: JSON array or NDJSON, .gz too.")]
PackName = Annotated[str, typer.Option(help="The pack whose insight path to run.")]


def load_events(paths: list[Path]) -> Iterator[dict[str, Any]]:
    for path in paths:
        try:
            raws = read_events(path)
        except ValueError as exc:
            raise fail(str(exc), 2) from None
        for line, raw in enumerate(raws, 1):
            try:
                yield _any.decode(raw)
            except msgspec.DecodeError as exc:
                raise fail(f"{path}: event {line}: {exc}", 2) from None


def make_replay(pack: str, profile: str | None, config: Path | None) -> Replay:
    try:
        (found,) = load_packs([pack])
    except UnknownPack as exc:
        raise fail(str(exc), 2) from None
    if found.prompts is None:
        raise fail(f"pack {pack!r} makes no insights", 2)
    return Replay(found, settings(profile, config, None).config)


def run(replay: Replay, paths: list[Path]) -> Iterator[Replayed]:
    try:
        yield from replay.run(load_events(paths))
    except ReplayError as exc:
        raise fail(str(exc), 2) from None


def replay(
    files: Files,
    pack: PackName = "fabric",
    out: Annotated[Path, typer.Option(dir_okay=False, help="Where to write insights, one "
                                                            "JSON object per line.")]
    = Path("insights.jsonl"),
    profile: Profile = None, config: ConfigFile = None,
) -> None:
    """Replay events through enrichment, triggers and the insight chain (the configured LLM,
    or the analyst); every insight becomes one line of --out."""
    player = make_replay(pack, profile, config)
    count = 0
    with out.open("wb") as fh:
        for replayed in run(player, files):
            fh.write(msgspec.json.encode(replayed.insight) + b"\n")
            count += 1
    err_console.print(f"{count} insights from {player.triggered} triggered intervals "
                      f"-> {out}", highlight=False)
