"""The HTTP API (FastAPI on uvicorn)."""

from vigila.api.app import create_app

__all__ = ["create_app"]
