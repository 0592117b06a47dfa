"""Fixtures of the notification tests: a store, a manual clock, real SMTP servers."""

from __future__ import annotations

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
    return self_signed(tmp_path_factory.mktemp("tls"))
