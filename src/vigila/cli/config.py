"""`vigila config show`: the effective configuration and where each value came from."""

from __future__ import annotations

from typing import Any

import msgspec
import typer

from vigila.cli.common import ConfigFile, DataDir, Json, Profile, print_json, print_table, settings
from vigila.config.redact import redact

app = typer.Typer(help="Inspect the configuration.", no_args_is_help=True)


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value and prefix != "tags.":
        out: dict[str, Any] = {}
        for key, child in value.items():
            out.update(_flatten(child, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): value}


@app.command("show")
def show(profile: Profile = None, config: ConfigFile = None, data_dir: DataDir = None,
         json: Json = False) -> None:
    """Print every setting, its value and its source."""
    effective = settings(profile, config, data_dir)
    cfg = effective.config
    builtins = msgspec.to_builtins(cfg)
    api_key_set = bool(cfg.ai.api_key)
    values = _flatten(redact(builtins))
    values["resource_name"] = cfg.resource_name
    values["ai.api_key"] = "(set)" if api_key_set else None
    rows = []
    for key in sorted(values):
        source = "derived" if key == "resource_name" else effective.sources.get(key, "default")
        rows.append({"key": key, "value": values[key], "source": source})
    if json:
        print_json(rows)
        return
    print_table(f"vigila configuration ({cfg.environment})", ["key", "value", "source"],
                [[r["key"], r["value"], r["source"]] for r in rows])
