"""`vigila events` and `vigila deadletters`: read what the data directory holds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import msgspec
import typer

from vigila.api.deadletters import letter_view
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
from vigila.ingest.replay import replay_dead_letters
from vigila.store.base import EventQuery


def _parse_time(value: str | None, option: str) -> int | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"{option} {value!r} is not an ISO 8601 time") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


def events(
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    detail_type: Annotated[str | None, typer.Option("--detail-type")] = None,
    resource: Annotated[str | None, typer.Option(help="Only events naming this resource.")] = None,
    since: Annotated[str | None, typer.Option(help="Event time from (ISO 8601).")] = None,
    until: Annotated[str | None, typer.Option(help="Event time before (ISO 8601).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 20,
    data_dir: DataDir = None,
    profile: Profile = None,
    config: ConfigFile = None,
    json: Json = False,
) -> None:
    """List stored events, newest first."""
    with runtime_at(profile, config, data_dir) as rt:
        page = rt.events.query(EventQuery(
            source=source, detail_type=detail_type, resource=resource,
            start_ms=_parse_time(since, "--since"), end_ms=_parse_time(until, "--until"),
            limit=limit))
    if json:
        print_json([msgspec.Raw(e.data) for e in page.items])
        return
    rows = [[datetime.fromtimestamp(e.time_ms / 1000, UTC).isoformat(timespec="seconds"),
             e.source, e.detail_type, ", ".join(e.resources), e.id] for e in page.items]
    print_table(f"{len(rows)} events", ["time", "source", "detail-type", "resources", "id"], rows)


deadletters = typer.Typer(help="Inspect and replay dead letters.", no_args_is_help=True)


@deadletters.command("list")
def list_dead_letters(
    stage: Annotated[str | None, typer.Option(help="ingest, decode or process:<name>.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include replayed ones.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    data_dir: DataDir = None,
    profile: Profile = None,
    config: ConfigFile = None,
    json: Json = False,
) -> None:
    """List dead letters, newest first."""
    with runtime_at(profile, config, data_dir) as rt:
        page = rt.store.dead_letters(stage=stage, include_replayed=all_, limit=limit)
    views = [letter_view(x) for x in page.items]
    if json:
        print_json(views)
        return
    rows = [[v["id"], v["stage"], v["reason"], v["raw"][:80], v["replay_result"]] for v in views]
    print_table(f"{len(rows)} dead letters", ["id", "stage", "reason", "raw", "replay"], rows)


@deadletters.command("replay")
def replay(
    ids: Annotated[list[int] | None, typer.Argument(help="Dead-letter ids (default: all).")]
    = None,
    data_dir: DataDir = None,
    profile: Profile = None,
    config: ConfigFile = None,
    json: Json = False,
) -> None:
    """Send dead letters through ingest (or back to the pipeline) again."""
    with runtime_at(profile, config, data_dir) as rt:
        if ids:
            letters = rt.store.get_dead_letters(ids)
        else:
            letters = rt.store.dead_letters(limit=100_000).items
        outcomes = replay_dead_letters(
            letters, rt.ingest.decoder,
            lambda entries, dedup: rt.log.append(entries, dedup=dedup), rt.store, rt.clock)
    if json:
        print_json(outcomes)
        return
    print_table("replay", ["id", "replayed", "result"],
                [[o.id, "yes" if o.replayed else "no", o.result] for o in outcomes])
    done = sum(o.replayed for o in outcomes)
    console.print(f"{done} of {len(outcomes)} replayed")
