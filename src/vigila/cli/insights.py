"""`vigila insights`: the newest insights (optionally following new ones as they come), and
`vigila insights cost`: what the LLM cost and what each stage of the chain saved."""

from __future__ import annotations

import time
from datetime import UTC, datetime
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
    fail,
    print_json,
    print_table,
    runtime_at,
)
from vigila.insights.request import avoided_by_stage
from vigila.store.follow import Cursor


def _row(insight: dict[str, Any]) -> list[Any]:
    created = datetime.fromisoformat(insight["created_at"]).strftime("%Y-%m-%d %H:%M:%S")
    return [created, insight["risk_score"], insight["prediction_type"], insight["entity"],
            insight["source"], insight["explanation"][:120]]


COLUMNS = ["created", "risk", "type", "entity", "source", "explanation"]

app = typer.Typer(help="Insights: list, follow, and what they cost.")


@app.callback(invoke_without_command=True)
def insights(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    min_risk: Annotated[int | None, typer.Option(min=0, max=100)] = None,
    type_: Annotated[str | None, typer.Option("--type", help="A prediction type.")] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new ones.")]
    = False,
    data_dir: DataDir = None, profile: Profile = None, config: ConfigFile = None,
    json: Json = False,
) -> None:
    """Recent insights, newest first (with --follow, then every new one)."""
    if ctx.invoked_subcommand:
        return
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
            cursor = Cursor(max((r.time_ms for r in records),
                                default=int(rt.clock.now() * 1000)), {r.key for r in records})
            page = 500
            while follow:
                time.sleep(1.0)
                for record in cursor.newer(lambda since_ms: find_insights(
                        rt, limit=page, type_=type_, min_risk=min_risk, since_ms=since_ms,
                        oldest_first=True), page):
                    item = msgspec.json.decode(record.data)
                    if json:
                        print_json(item)
                    else:
                        console.print(" | ".join(str(v) for v in _row(item)), highlight=False)
        except KeyboardInterrupt:
            pass


BUCKETS = {"hour": "%Y-%m-%dT%H:00", "day": "%Y-%m-%d"}


@app.command("cost")
def cost(
    by: Annotated[str, typer.Option(help="Group by hour, day or model.")] = "hour",
    hours: Annotated[float, typer.Option(min=0, help="How far back to look.")] = 24.0,
    data_dir: DataDir = None, profile: Profile = None, config: ConfigFile = None,
    json: Json = False,
) -> None:
    """LLM calls, tokens and USD by hour, day or model, and the calls each stage avoided."""
    if by not in (*BUCKETS, "model"):
        raise fail(f"--by {by!r}: expected hour, day or model", 2)
    with runtime_at(profile, config, data_dir) as rt:
        ledger = rt.ledger(since=rt.clock.now() - hours * 3600)
    rows: dict[str, dict[str, Any]] = {}
    for entry in ledger:
        if entry.stage in ("llm", "call"):
            key = (entry.model or "(failed)") if by == "model" else datetime.fromtimestamp(
                entry.at, UTC).strftime(BUCKETS[by])
            row = rows.setdefault(key, {by: key, "calls": 0, "insights": 0, "tokens_in": 0,
                                        "tokens_out": 0, "cost_usd": 0.0})
            row["calls"] += entry.calls
            row["insights"] += entry.insights if entry.stage == "llm" else 0
            row["tokens_in"] += entry.tokens_in
            row["tokens_out"] += entry.tokens_out
            row["cost_usd"] = round(row["cost_usd"] + entry.cost_usd, 6)
    avoided = avoided_by_stage(ledger)
    table = sorted(rows.values(), key=lambda r: r[by])
    if json:
        print_json({"rows": table, "calls_avoided_by_stage": avoided})
        return
    print_table(f"LLM cost, last {hours:g} h, by {by}",
                [by, "calls", "insights", "tokens_in", "tokens_out", "cost_usd"],
                [list(r.values()) for r in table])
    print_table("calls avoided, by stage", ["stage", "insights"],
                [[k, v] for k, v in sorted(avoided.items())])
