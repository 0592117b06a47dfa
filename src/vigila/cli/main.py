"""Entry point of the `vigila` command."""

from __future__ import annotations

import typer

from vigila import __version__
from vigila.cli import (
    alarms,
    apikeys,
    config,
    detect,
    evaluate,
    events,
    ingest,
    insights,
    log,
    metrics,
    replay,
    rules,
    serve,
    simulate,
)

app = typer.Typer(help="vigila: real-time, AI-assisted observability for event streams.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
app.command()(serve.serve)
app.command()(ingest.ingest)
app.command()(events.events)
app.command()(simulate.simulate)
app.command()(detect.detect)
app.command("eval")(evaluate.evaluate)
app.add_typer(events.deadletters, name="deadletters")
app.add_typer(config.app, name="config")
app.add_typer(apikeys.app, name="apikeys")
app.add_typer(log.app, name="log")
app.add_typer(rules.app, name="rules")
app.add_typer(metrics.app, name="metrics")
app.add_typer(alarms.app, name="alarms")
app.add_typer(insights.app, name="insights")
app.command()(replay.replay)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)
