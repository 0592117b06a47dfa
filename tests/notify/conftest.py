"""Fixtures of the notification tests: a store, real SMTP servers, a TLS certificate."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mailserver import MailServer, self_signed
from vigila.store.sqlite import SqliteStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(tmp_path / "store.db")
    yield s
    s.close()


@pytest.fixture
def mailserver() -> Iterator[MailServer]:
    """A real local SMTP server, plain (see `tests.mailserver`)."""
    server = MailServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory):
    """A TLS server context for 127.0.0.1 and the certificate a client trusts."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command makes the test certificate")
    return self_signed(tmp_path_factory.mktemp("tls"))
