"""Request dependencies: the runtime and scope checks."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from vigila.runtime import Runtime


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def require(scope: str) -> Callable[[Request], None]:
    """A dependency that refuses the request unless its key has `scope`."""

    def check(request: Request) -> None:
        request.app.state.authorizer.check(request, scope)

    return check
