"""`vigila apikeys`: create, list and revoke API keys."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from vigila.api.auth import SCOPES, create_key
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

app = typer.Typer(help="Manage API keys (stored hashed).", no_args_is_help=True)


@app.command("create")
def create(
    name: str,
    scope: Annotated[list[str] | None, typer.Option(
        help=f"Scope, repeatable: {', '.join(SCOPES)}.")] = None,
    data_dir: DataDir = None, profile: Profile = None, config: ConfigFile = None,
) -> None:
    """Create a key and print it once; only its hash is stored."""
    with runtime_at(profile, config, data_dir) as rt:
        try:
            token = create_key(rt.store, name, scope or ["ingest", "read"],
                               int(rt.clock.now() * 1000))
        except ValueError as exc:
            raise fail(str(exc), 2) from None
        except Exception as exc:  # sqlite3.IntegrityError: the name exists
            raise fail(f"cannot create key {name!r}: {exc}") from None
    typer.echo(token)
    console.print("[dim]store it now: it cannot be shown again[/dim]", highlight=False)


@app.command("list")
def list_keys(data_dir: DataDir = None, profile: Profile = None, config: ConfigFile = None,
              json: Json = False) -> None:
    """List keys (names, prefixes and scopes; never the keys)."""
    with runtime_at(profile, config, data_dir) as rt:
        keys = rt.store.api_keys()
    if json:
        print_json(keys)
        return

    def when(ms: int | None) -> str:
        return "" if ms is None else datetime.fromtimestamp(ms / 1000, UTC).isoformat(
            timespec="seconds")

    print_table("API keys", ["name", "prefix", "scopes", "created", "revoked"],
                [[k.name, k.prefix, ",".join(k.scopes), when(k.created_ms), when(k.revoked_ms)]
                 for k in keys])


@app.command("revoke")
def revoke(name: str, data_dir: DataDir = None, profile: Profile = None,
           config: ConfigFile = None) -> None:
    """Revoke a key: requests using it get 401 from then on."""
    with runtime_at(profile, config, data_dir) as rt:
        done = rt.store.revoke_api_key(name, int(rt.clock.now() * 1000))
    if not done:
        raise fail(f"no active key named {name!r}")
    console.print(f"revoked {name}")
