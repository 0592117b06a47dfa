"""Entry point of the `vigila` command."""

import typer

app = typer.Typer(help="vigila: real-time, AI-assisted observability for event streams.",
                  no_args_is_help=True)
