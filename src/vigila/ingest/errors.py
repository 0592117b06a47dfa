"""Errors that refuse a whole request, each with its HTTP status and a precise message."""

from __future__ import annotations


class IngestError(Exception):
    """A request refused as a whole; nothing in it was stored."""

    status: int = 400
    reason: str = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MalformedBody(IngestError):
    status, reason = 400, "malformed_body"


class EmptyBatch(IngestError):
    status, reason = 400, "empty_batch"


class BodyTooLarge(IngestError):
    status, reason = 413, "body_too_large"


class BatchTooLarge(IngestError):
    status, reason = 413, "batch_too_large"


class UnsupportedMediaType(IngestError):
    status, reason = 415, "unsupported_media_type"


class Backpressure(IngestError):
    """The log is too far ahead of its consumers; retry after `retry_after` seconds."""

    status, reason = 429, "backpressure"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
