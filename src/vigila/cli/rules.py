"""`vigila rules`: test a pattern on an event, and list, add or remove rules."""

from __future__ import annotations

import json as jsonlib
from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer

from vigila.api.rules import rule_view
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
from vigila.routing.catalog import RuleConflict
from vigila.routing.model import Rule
from vigila.rules import Pattern, PatternError

app = typer.Typer(help="EventBridge-pattern rules: test, list, add, remove.",
                  no_args_is_help=True)
JsonFile = Annotated[Path, typer.Option(exists=True, dir_okay=False)]


def _load_json(path: Path, what: str) -> Any:
    try:
        return jsonlib.loads(path.read_bytes())
    except (ValueError, OSError) as exc:
        raise fail(f"{what} {path} is not valid JSON: {exc}", 2) from None


@app.command("test")
def test(pattern: JsonFile, event: JsonFile, json: Json = False) -> None:
    """Does EVENT match PATTERN? On no match, the first field that failed and why."""
    try:
        compiled = Pattern(_load_json(pattern, "pattern"))
    except PatternError as exc:
        raise fail(f"invalid pattern: {exc}", 2) from None
    data = _load_json(event, "event")
    if not isinstance(data, dict):
        raise fail(f"event {event} must be a JSON object", 2)
    reason = compiled.explain(data)
    if json:
        print_json({"match": reason is None, "reason": reason})
    elif reason is None:
        console.print("[green]match[/green]")
    else:
        console.print(f"[red]no match[/red]: {reason}", highlight=False, soft_wrap=True)
    if reason is not None:
        raise typer.Exit(1)


@app.command("list")
def list_rules(data_dir: DataDir = None, profile: Profile = None, config: ConfigFile = None,
               json: Json = False) -> None:
    """Every rule, with where it comes from (pack, config or api)."""
    with runtime_at(profile, config, data_dir) as rt:
        rules = rt.rules.all()
    views = [rule_view(rule, origin) for _, (rule, origin) in sorted(rules.items())]
    if json:
        print_json(views)
        return
    print_table(f"{len(views)} rules", ["name", "origin", "enabled", "targets", "pattern"],
                [[v["name"], v["origin"], v["enabled"],
                  ", ".join(t["type"] for t in v["targets"]), jsonlib.dumps(v["pattern"])]
                 for v in views])


@app.command("add")
def add(rule_file: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                                  help="A rule as JSON.")],
        data_dir: DataDir = None, profile: Profile = None, config: ConfigFile = None) -> None:
    """Create or replace a rule (a running server picks it up within seconds)."""
    try:
        rule = msgspec.convert(_load_json(rule_file, "rule"), Rule)
        Pattern(rule.pattern)
    except (msgspec.ValidationError, PatternError) as exc:
        raise fail(f"invalid rule: {exc}", 2) from None
    with runtime_at(profile, config, data_dir) as rt:
        try:
            outcome = rt.rules.put(rule)
        except RuleConflict as exc:
            raise fail(str(exc), 2) from None
    console.print(f"{outcome} rule {rule.name}")


@app.command("remove")
def remove(name: str, data_dir: DataDir = None, profile: Profile = None,
           config: ConfigFile = None) -> None:
    """Delete a rule created over the API or with `rules add`."""
    with runtime_at(profile, config, data_dir) as rt:
        try:
            deleted = rt.rules.delete(name)
        except RuleConflict as exc:
            raise fail(str(exc), 2) from None
    if not deleted:
        raise fail(f"no rule named {name!r}")
    console.print(f"removed rule {name}")
