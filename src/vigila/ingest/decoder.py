"""Decode raw items into canonical log entries, item by item, with JSON-path errors.

One pass per item: structural limits, the envelope (with `detail` kept raw),
then `detail` against the type its pack registered. The entry written to the
log carries the original detail bytes, so nothing is encoded twice.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import msgspec

from vigila.config.schema import IngestConfig
from vigila.events.envelope import Event, new_event_id
from vigila.events.schemas import DetailSchemas
from vigila.ingest.limits import find_big_int, may_hold_big_int, nesting_depth_exceeds
from vigila.log.base import LogEntry

_PATH = re.compile(r"`\$")


class Rejection(msgspec.Struct):
    """An item refused at `index` of its batch, and why."""

    index: int
    error: str


class ItemError(ValueError):
    """Why one item was refused."""


class DecodedBatch(msgspec.Struct):
    entries: list[LogEntry]
    indexes: list[int]
    """Position in the request of each entry."""
    rejected: list[Rejection]


class EventDecoder:
    """Validates raw items and turns the good ones into log entries."""

    def __init__(self, schemas: DetailSchemas, limits: IngestConfig, *, region: str,
                 account: str) -> None:
        self._schemas = schemas
        self._limits = limits
        self._region = region
        self._account = account
        self._envelope = msgspec.json.Decoder(Event[msgspec.Raw])
        self._encode = msgspec.json.Encoder().encode

    def decode_batch(self, items: list[bytes], received_at: float) -> DecodedBatch:
        """Decode every item; a bad item is rejected alone, never the batch."""
        now = datetime.fromtimestamp(received_at, UTC)
        now_ms = int(received_at * 1000)
        batch = DecodedBatch(entries=[], indexes=[], rejected=[])
        for index, raw in enumerate(items):
            try:
                batch.entries.append(self.decode_item(raw, index, now, now_ms))
                batch.indexes.append(index)
            except ItemError as exc:
                batch.rejected.append(Rejection(index=index, error=str(exc)))
        return batch

    def decode_item(self, raw: bytes, index: int, now: datetime, now_ms: int) -> LogEntry:
        """One item -> one log entry, or `ItemError` naming the path and what was expected."""
        limits = self._limits
        if len(raw) > limits.max_event_bytes:
            raise ItemError(
                f"event {index} is {len(raw)} bytes; the limit is {limits.max_event_bytes}"
            )
        depth = nesting_depth_exceeds(raw, limits.max_depth)
        if depth is not None:
            raise ItemError(f"event {index} nests {depth} levels deep; the limit is "
                            f"{limits.max_depth}")
        event = self._decode(self._envelope, raw, f"$[{index}]")
        detail = self._decode(
            self._schemas.decoder(event.source, event.detail_type),
            event.detail,
            f"$[{index}].detail",
        )
        if may_hold_big_int(raw):
            where = find_big_int(detail, f"$[{index}].detail")
            if where:
                raise ItemError(f"integer out of 64-bit range - at `{where}`")
        if not event.id:
            event.id = new_event_id(now_ms)
        if event.time is None:
            event.time = now
        if not event.region:
            event.region = self._region
        if not event.account:
            event.account = self._account
        return LogEntry(key=event.partition_key, id=event.id, data=self._encode(event))

    @staticmethod
    def _decode(decoder: msgspec.json.Decoder, raw: bytes, path: str):  # type: ignore[no-untyped-def]
        try:
            return decoder.decode(raw)
        except msgspec.ValidationError as exc:
            message = str(exc)
            if _PATH.search(message):
                raise ItemError(_PATH.sub(f"`{path}", message)) from None
            raise ItemError(f"{message} - at `{path}`") from None
        except msgspec.DecodeError as exc:
            raise ItemError(f"malformed JSON at {path}: {exc}") from None
        except UnicodeDecodeError as exc:
            raise ItemError(f"invalid UTF-8 at {path}, byte {exc.start}: {exc.reason}") from None
        except RecursionError:
            raise ItemError(f"nesting too deep at {path}") from None
