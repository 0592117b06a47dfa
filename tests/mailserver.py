"""A real local SMTP server for tests (aiosmtpd): records mail, answers as told, can go down,
speaks STARTTLS, implicit TLS and AUTH when asked."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
import subprocess
from collections import deque
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import msgspec
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Mail(msgspec.Struct):
    sender: str
    recipients: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)  # type: ignore[return-value]


class MailServer:
    """`replies` is a queue of SMTP replies to DATA (`"451 try later"`); when empty, 250.
    `delay` seconds pass between accepting a mail and saying so (a slow relay)."""

    def __init__(self, *, port: int = 0, tls: ssl.SSLContext | None = None,
                 implicit_tls: bool = False, users: dict[str, str] | None = None) -> None:
        self.mail: list[Mail] = []
        self.replies: deque[str] = deque()
        self.delay = 0.0
        self.logins: list[str] = []
        self.port = port or _free_port()
        self._tls = tls
        self._implicit = implicit_tls
        self._users = users
        self._controller: Controller | None = None
        self.start()

    def start(self) -> None:
        kwargs: dict[str, Any] = {}
        if self._tls and not self._implicit:
            kwargs.update(tls_context=self._tls, require_starttls=True)
        if self._users is not None:
            # aiosmtpd counts only STARTTLS as TLS for AUTH; implicit TLS is TLS too
            kwargs.update(authenticator=self._authenticate, auth_required=True,
                          auth_require_tls=not self._implicit)
        self._controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port,
            ssl_context=self._tls if self._implicit else None,
            server_hostname="localhost", **kwargs)
        self._controller.start()

    def stop(self) -> None:
        if self._controller:
            self._controller.stop()
            self._controller = None

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            login, password = auth_data.login.decode(), auth_data.password.decode()
            if self._users and self._users.get(login) == password:
                self.logins.append(login)
                return AuthResult(success=True, auth_data=login)
        return AuthResult(success=False, handled=False)

    def message_ids(self) -> list[str]:
        return [m.message["Message-ID"] for m in self.mail]


class _Handler:
    def __init__(self, server: MailServer) -> None:
        self._server = server

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = self._server.replies.popleft() if self._server.replies else "250 OK"
        if reply.startswith("250"):
            self._server.mail.append(Mail(envelope.mail_from, list(envelope.rcpt_tos),
                                          envelope.original_content or envelope.content))
        if self._server.delay:  # accepted, but the answer is slow (or never seen)
            await asyncio.sleep(self._server.delay)
        return reply


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def self_signed(directory: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context with a fresh certificate for 127.0.0.1, and the certificate (the CA a
    client trusts). Made with the `openssl` command."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert),
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context, cert
