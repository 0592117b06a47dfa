"""Serve the dashboard: the page at `/`, its files under `/static/`, its settings at `/ui/config`.

None of these hold data, so none asks for a key; the page asks for one when the
profile requires it and sends it with every API call. Every answer carries a
strict Content-Security-Policy: scripts, styles and connections to this origin
only, no inline script, no framing.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable

from fastapi import APIRouter, Request
from fastapi.responses import Response

from vigila import __version__
from vigila.api.responses import json_response

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {"content-security-policy": CSP, "x-content-type-options": "nosniff",
                    "referrer-policy": "no-referrer", "x-frame-options": "DENY"}
MEDIA_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
               ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".txt": "text/plain"}

router = APIRouter(include_in_schema=False)


class Asset:
    """A file's bytes, media type and ETag, read once."""

    def __init__(self, body: bytes, media_type: str) -> None:
        self.body = body
        self.media_type = media_type
        self.etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


@cache
def assets() -> dict[str, Asset]:
    """Every file under `static/` by its path there, e.g. `js/app.js`."""
    found: dict[str, Asset] = {}

    def walk(folder: Traversable, prefix: str) -> None:
        for entry in folder.iterdir():
            if entry.is_dir():
                walk(entry, f"{prefix}{entry.name}/")
                continue
            suffix = "." + entry.name.rpartition(".")[2]
            if suffix in MEDIA_TYPES:
                found[prefix + entry.name] = Asset(entry.read_bytes(), MEDIA_TYPES[suffix])

    walk(resources.files("vigila.web") / "static", "")
    return found


def _serve(request: Request, asset: Asset) -> Response:
    headers = {**SECURITY_HEADERS, "etag": asset.etag, "cache-control": "no-cache"}
    if request.headers.get("if-none-match") == asset.etag:
        return Response(status_code=304, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


@router.get("/")
def index(request: Request) -> Response:
    return _serve(request, assets()["index.html"])


@router.get("/static/{path:path}")
def static(path: str, request: Request) -> Response:
    asset = assets().get(path)
    if asset is None:
        return Response("not found", status_code=404, media_type="text/plain",
                        headers=SECURITY_HEADERS)
    return _serve(request, asset)


@router.get("/ui/config")
def ui_config(request: Request) -> Response:
    """What the page needs before its first API call."""
    rt = request.app.state.runtime
    return json_response({"auth_required": rt.config.auth.required,
                          "environment": rt.config.environment,
                          "resource": rt.config.resource_name, "version": __version__},
                         headers=SECURITY_HEADERS)
