"""`vigila insights`: the newest insights, optionally following new ones as they come."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated, Any

import msgspec
import typer

from vigila.api.insights import find_insights
from vigila.cli.common import (
    ConfigFile,
    DataDir,
    Json,
    Profile,
    console,
    print_json,
    print_table,
    runtime_at,
)


def _row(insight: dict[str, Any]) -> list[Any]:
    created = datetime.fromisoformat(insight["created_at"]).strftime("%Y-%m-%d %H:%M:%S")
    return [created, insight["risk_score"], insight["prediction_type"], insight["entity"],
            insight["source"], insight["explanation"][:120]]


COLUMNS = ["created", "risk", "type", "entity", "source", "explanation"]


def insights(
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    min_risk: Annotated[int | None, typer.Option(min=0, max=100)] = None,
    type_: Annotated[str | None, typer.Option("--type", help="A prediction type.")] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new ones.")]
    = False,
    data_dir: DataDir = None, profile: Profile = None, config: ConfigFile = None,
    json: Json = False,
) -> None:
    """Recent insights, newest first (with --follow, then every new one)."""
    with runtime_at(profile, config, data_dir) as rt:
        try:
            records = find_insights(rt, limit=limit, type_=type_, min_risk=min_risk)
            items = [msgspec.json.decode(r.data) for r in records]
            if json:
                for item in reversed(items) if follow else ():
                    print_json(item)
                if not follow:
                    print_json(items)
            else:
                print_table(f"{len(items)} insights", COLUMNS, [_row(i) for i in items])
            since_ms = max((r.time_ms for r in records), default=int(rt.clock.now() * 1000))
            while follow:
                time.sleep(1.0)
                for record in reversed(find_insights(rt, limit=100, type_=type_,
                                                     min_risk=min_risk, since_ms=since_ms)):
                    since_ms = max(since_ms, record.time_ms)
                    item = msgspec.json.decode(record.data)
                    if json:
                        print_json(item)
                    else:
                        console.print(" | ".join(str(v) for v in _row(item)), highlight=False)
        except KeyboardInterrupt:
            pass
