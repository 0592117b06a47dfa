"""`vigila eval fabric --dataset FILE`: replay a labelled recording and score its insights."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vigila.cli.common import ConfigFile, Json, Profile, fail, print_json, print_table
from vigila.cli.replay import load_events, make_replay, run
from vigila.insights.scorecard import incidents_of, score


def evaluate(
    pack: Annotated[str, typer.Argument(help="The pack whose insights to score (fabric).")],
    dataset: Annotated[Path, typer.Option(exists=True, dir_okay=False,
                                          help="Labelled events: `vigila simulate fabric "
                                               "--faults ... --out FILE`.")],
    profile: Profile = None, config: ConfigFile = None,
    json: Json = False,
) -> None:
    """Replay a labelled file through the whole insight path (the configured LLM, or the
    analyst) and score it per incident: type, risk, paging, fallbacks, calls, cost, latency.
    An insight matches an incident on entity and time (see docs/insights.md)."""
    incidents = incidents_of(load_events([dataset]))
    if not incidents:
        raise fail(f"{dataset} has no labelled events (simulate with --faults)", 2)
    player = make_replay(pack, profile, config)
    replayed = list(run(player, [dataset]))
    card = score(incidents, replayed, player.ledger, player.triggered)
    if json:
        print_json(card)
        return
    rows = [[name, getattr(card, name)] for name in card.__struct_fields__
            if name != "avoided_by_stage"]
    rows.append(["avoided_by_stage", ", ".join(f"{k} {v}" for k, v in
                                               card.avoided_by_stage.items()) or "-"])
    print_table(f"{pack} insights on {dataset.name}", ["figure", "value"], rows)
