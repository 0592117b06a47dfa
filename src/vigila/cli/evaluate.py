"""`vigila eval fabric --dataset FILE`: score the analyst on a labelled recording."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import msgspec
import typer

from vigila.cli.common import Json, console, fail, print_json, print_table
from vigila.cli.ingest import read_events
from vigila.insights.evaluate import evaluate_analyst

_any = msgspec.json.Decoder()


def evaluate(
    pack: Annotated[str, typer.Argument(help="The pack whose insights to score (fabric).")],
    dataset: Annotated[Path, typer.Option(exists=True, dir_okay=False,
                                          help="Labelled events: `vigila simulate fabric "
                                               "--faults ... --out FILE`.")],
    json: Json = False,
) -> None:
    """Replay a labelled file through the triggers and the analyst; print type accuracy,
    risk error and paging errors, per incident (first triggered interval) and interval."""
    if pack != "fabric":
        raise fail(f"no evaluation for pack {pack!r}; available: fabric", 2)
    try:
        events = [_any.decode(raw) for raw in read_events(dataset)]
    except (ValueError, msgspec.DecodeError) as exc:
        raise fail(f"{dataset}: {exc}", 2) from None
    if not any(isinstance(e, dict) and "label" in e for e in events):
        raise fail(f"{dataset} has no labelled events (simulate with --faults)", 2)
    try:
        scores = evaluate_analyst(events)
    except (msgspec.ValidationError, KeyError, TypeError) as exc:
        raise fail(f"{dataset}: not fabric Port Metrics events: {exc}", 2) from None
    if json:
        print_json(scores)
        return
    rows = [[name, getattr(scores, name)] for name in (
        "incidents", "missed_incidents", "type_accuracy", "risk_mae",
        "noncritical_scored_critical", "critical_scored_noncritical", "intervals",
        "interval_accuracy", "false_triggers", "false_trigger_low_risk_rate")]
    print_table(f"analyst on {dataset.name}", ["figure", "value"], rows)
    console.print("confusion (label -> predicted): " + "; ".join(
        f"{k}: {v}" for k, v in sorted(scores.confusion.items())), highlight=False,
        soft_wrap=True)
