"""Options and helpers shared by the commands."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer
from rich.console import Console
from rich.table import Table

from vigila.config import ConfigError, EffectiveConfig, load_effective
from vigila.runtime import Runtime

console = Console()
err_console = Console(stderr=True)

Profile = Annotated[str | None, typer.Option("--profile", "-p",
                                             help="dev, staging or production.")]
ConfigFile = Annotated[Path | None, typer.Option("--config", "-c", help="A vigila.toml file.",
                                                 exists=False)]
DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Where the databases live.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def settings(profile: str | None, config: Path | None, data_dir: Path | None,
             **overrides: Any) -> EffectiveConfig:
    """The effective config, or a clean exit with the reason."""
    flat = {k: v for k, v in overrides.items() if v is not None}
    if data_dir is not None:
        flat["data_dir"] = str(data_dir)
    try:
        return load_effective(profile=profile, config_file=config, overrides=flat)
    except ConfigError as exc:
        err_console.print(f"[red]configuration error:[/red] {exc}", soft_wrap=True,
                          highlight=False)
        raise typer.Exit(2) from None


@contextmanager
def runtime_at(profile: str | None, config: Path | None,
               data_dir: Path | None) -> Iterator[Runtime]:
    """A runtime over the data directory, not started (for reading and one-off writes),
    closed on the way out."""
    try:
        rt = Runtime(settings(profile, config, data_dir).config)
    except ValueError as exc:  # a bad pack setting, rule or alarm; a partition mismatch
        err_console.print(f"[red]error:[/red] {exc}", soft_wrap=True, highlight=False)
        raise typer.Exit(2) from None
    try:
        yield rt
    finally:
        rt.stop()


def print_json(value: Any) -> None:
    typer.echo(msgspec.json.encode(value).decode())


def print_table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {message}", soft_wrap=True, highlight=False)
    return typer.Exit(code)
