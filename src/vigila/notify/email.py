"""Email over SMTP (stdlib `smtplib`): one plain-text message per notification.

The Message-ID is derived from the notification's dedup key, and the Date from
when it was made, so a retry sends the same message and a receiver (or a mail
archive) recognises the copy. 5xx replies are not retried; 4xx, timeouts and
refused connections are.

>>> from vigila.notify.alert import Alert
>>> from vigila.routing.model import EmailTarget
>>> target = EmailTarget(host="smtp.example.com", sender="vigila@example.com",
...                      to=["oncall@example.com"])
>>> a = Alert(fingerprint="f", labels={}, kind="event", starts_ms=0,
...           annotations={"summary": "disk full"})
>>> msg = build_message(target, Notification.single(a, channel="mail", key="mail/e1", at_ms=0))
>>> msg["Subject"], msg["Message-ID"]
('[vigila] [FIRING] disk full', '<1bd8cf3af6fa9ca8fc4ec91bae595a7f.vigila@example.com>')
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate

from vigila.notify.message import Notification
from vigila.notify.text import body, headline
from vigila.routing.model import EmailTarget
from vigila.routing.outbox import DeliveryError

POLICY = SMTP.clone(max_line_length=998)
"""Fold only at RFC 5322's hard limit, so a subject (at most about 210 characters) stays on
its header's line; folding at 78 can move all of it to a continuation line."""


def message_id(key: str, sender: str) -> str:
    """`<hash.vigila@sender-domain>`: the same for every send of one notification."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    domain = sender.rpartition("@")[2]
    try:
        domain = domain.encode("idna").decode()
    except UnicodeError:  # not a name IDNA can spell: any domain keeps the id unique
        domain = "vigila.invalid"
    return f"<{digest}.vigila@{domain}>"


def build_message(target: EmailTarget, n: Notification) -> EmailMessage:
    msg = EmailMessage(policy=POLICY)
    prefix = f"{target.subject_prefix} " if target.subject_prefix else ""
    msg["Subject"] = prefix + headline(n)
    msg["From"] = target.sender
    msg["To"] = ", ".join(target.to)
    msg["Date"] = formatdate(n.at_ms / 1000, usegmt=True)
    msg["Message-ID"] = message_id(n.key, target.sender)
    msg["X-Vigila-Dedup-Key"] = n.key
    msg.set_content(body(n))
    return msg


class SmtpSender:
    """Sends built messages; the password is read from the environment when needed."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def send(self, target: EmailTarget, msg: EmailMessage) -> None:
        where = f"smtp://{target.host}:{target.port}"
        password = self._password(target)
        try:
            context = ssl.create_default_context(cafile=target.ca_file or None)
            if target.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    target.host, target.port, timeout=target.timeout_seconds, context=context)
            else:
                smtp = smtplib.SMTP(target.host, target.port, timeout=target.timeout_seconds)
        except (OSError, smtplib.SMTPException) as exc:
            raise _failure(where, exc) from None
        try:
            if target.security == "starttls":
                smtp.starttls(context=context)
            if target.username:
                smtp.login(target.username, password)
            smtp.send_message(msg, from_addr=target.sender, to_addrs=target.to)
        except (OSError, smtplib.SMTPException) as exc:
            smtp.close()
            raise _failure(where, exc) from None
        _quit(smtp)

    def _password(self, target: EmailTarget) -> str:
        if not target.password_env:
            return ""
        password = self._env.get(target.password_env)
        if password is None:
            raise DeliveryError(f"environment variable {target.password_env} (password_env of "
                                f"target {target.name or target.host}) is not set")
        return password


def _failure(where: str, exc: OSError | smtplib.SMTPException) -> DeliveryError:
    """The `DeliveryError` for an SMTP failure: 5xx replies are not retried."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return DeliveryError(f"{where}: every recipient refused: {exc.recipients}",
                             permanent=all(500 <= c < 600 for c in codes))
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error.decode("utf-8", "replace") if isinstance(
            exc.smtp_error, bytes) else str(exc.smtp_error)
        return DeliveryError(f"{where}: SMTP {exc.smtp_code} {reply[:200]}",
                             permanent=500 <= exc.smtp_code < 600)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return DeliveryError(f"{where}: {exc}", permanent=True)
    return DeliveryError(f"{where}: {type(exc).__name__}: {exc}")


def _quit(smtp: smtplib.SMTP) -> None:
    """QUIT politely; the message is already accepted, so a failure here changes nothing."""
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()
