"""Shared fixtures: runtimes on temporary data directories, HTTP clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.receiver import Receiver
from tests.support import T0, make_config
from vigila.api.app import create_app
from vigila.clock import ManualClock
from vigila.runtime import Runtime


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def runtime(tmp_path: Path, clock: ManualClock) -> Iterator[Runtime]:
    rt = Runtime(make_config(tmp_path), clock=clock)
    yield rt
    rt.stop()


@pytest.fixture
def started(runtime: Runtime) -> Iterator[Runtime]:
    runtime.start()
    yield runtime


@pytest.fixture
def client(started: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(started), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real local HTTP receiver (see `tests.receiver`)."""
    r = Receiver()
    yield r
    r.stop()
