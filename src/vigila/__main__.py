"""`python -m vigila` runs the command line."""

from vigila.cli.main import app

app()
