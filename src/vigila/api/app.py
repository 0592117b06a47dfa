"""The FastAPI application of one runtime."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

from vigila import __version__
from vigila.api import (
    alarms,
    dashboards,
    deadletters,
    events,
    ingest,
    insights,
    metrics,
    metrics_top,
    rules,
    system,
)
from vigila.api.auth import Authorizer
from vigila.api.responses import ApiError, error_response
from vigila.runtime import Runtime
from vigila.web import pages


def create_app(rt: Runtime) -> FastAPI:
    """Routes, auth and error shapes over `rt`; the caller starts and stops `rt`."""
    app = FastAPI(title="vigila", version=__version__,
                  description="Real-time, AI-assisted observability for event streams.")
    app.state.runtime = rt
    app.state.authorizer = Authorizer(rt.store, rt.config.auth.required)
    for module in (ingest, events, deadletters, insights, rules, metrics, metrics_top, alarms,
                   dashboards, system, pages):
        app.include_router(module.router)
    _add_schemas(app, ingest.event_schemas())

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> Response:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return error_response(ApiError(422, "invalid_request",
                                       f"{where}: {first.get('msg', 'invalid value')}"))

    return app


def _add_schemas(app: FastAPI, schemas: dict) -> None:
    """Merge msgspec-made component schemas into the generated OpenAPI document."""
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            document = build()
            document.setdefault("components", {}).setdefault("schemas", {}).update(schemas)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
