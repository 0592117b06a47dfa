"""Decode raw items into what the log appends, with JSON-path errors for the bad ones.

A batch of valid events is decoded in a few calls over the whole body; any doubt
sends it item by item: structural limits, the envelope (with `detail` kept raw),
then `detail` against the type its pack registered. What the log stores carries
the detail bytes as sent (newlines aside), so no detail is encoded again.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from operator import attrgetter
from typing import Annotated

import msgspec

from vigila.config.schema import IngestConfig
from vigila.events.envelope import Event, EventIdSource
from vigila.events.schemas import DetailSchemas
from vigila.ingest.body import EventItems, check_count
from vigila.ingest.limits import find_big_int, may_hold_big_int, nesting_depth_exceeds
from vigila.log.base import (
    Appendable,
    IdRange,
    LogEntry,
    MintedBatch,
    Partitioner,
    RecordBatch,
)

_PATH = re.compile(r"`\$")
_pair = attrgetter("source", "detail_type")
_detail = attrgetter("detail")
_id = attrgetter("id")
_time = attrgetter("time")
_one_value = msgspec.json.Decoder(msgspec.Raw)
_LINE_BREAKS_TO_SPACES = bytes.maketrans(b"\r\n", b"  ")
_FILLED = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


def _within_size_limit(items: EventItems, details: list[msgspec.Raw], limit: int) -> bool:
    """Whether no event of `items` is over `limit` bytes: bounded without splitting a JSON
    array when its details leave little else in it, else measured one by one."""
    if not items.split and _largest_bound(details, len(items.array)) <= limit:
        return True
    return items.largest <= limit


def _largest_bound(details: list[msgspec.Raw], array_bytes: int) -> int:
    """No event of a JSON array of `array_bytes` is larger than this, without splitting it.

    Each event's bytes hold its detail's bytes (`Raw`, exactly as sent) and the rest of
    its envelope; the rests of all events fit in what the details leave of the array.
    """
    sizes = list(map(len, details))
    return max(sizes) + array_bytes - sum(sizes)


def _one_line_details(events: list[Event[msgspec.Raw]]) -> None:
    """Turn the line breaks in each event's detail into spaces, as the log keeps an event
    per line. A raw CR or LF in valid JSON is whitespace (a string cannot hold one), so
    the detail means the same."""
    for event in events:
        detail = bytes(event.detail)
        if b"\n" in detail or b"\r" in detail:
            event.detail = msgspec.Raw(detail.translate(_LINE_BREAKS_TO_SPACES))


def _invalid_utf8(raw: bytes) -> UnicodeDecodeError | None:
    """Why `raw` is not UTF-8, if it is not. msgspec does not decode what a type skips
    (a detail's undeclared fields), and the log keeps a detail's bytes as sent."""
    if raw.isascii():
        return None
    try:
        raw.decode()
    except UnicodeDecodeError as exc:
        return exc
    return None


def _known_fields_event(region: str, account: str) -> type:
    """The fast path's envelope: `Event[Raw]` with no unknown field (whose nesting nothing
    would bound), and the configured `region` and `account` as defaults, so that events
    sent without them need not be filled in one by one (one sent empty is left to the
    per-item path)."""
    defaults = {"region": (_FILLED, region), "account": (_FILLED, account)}
    fields = msgspec.structs.fields(Event[msgspec.Raw])
    return msgspec.defstruct(
        "KnownFieldsEvent",
        [(f.name, f.type) if f.required else (f.name, *defaults.get(f.name, (f.type, _default(f))))
         for f in fields],
        kw_only=True, forbid_unknown_fields=True, gc=False,
        rename={f.name: f.encode_name for f in fields})


def _default(field: msgspec.structs.FieldInfo) -> object:
    if field.default_factory is msgspec.NODEFAULT:
        return field.default
    return msgspec.field(default_factory=field.default_factory)


class Rejection(msgspec.Struct):
    """An item refused at `index` of its batch, and why."""

    index: int
    error: str


class ItemError(ValueError):
    """Why one item was refused."""


class DecodedBatch(msgspec.Struct):
    to_append: Appendable
    """The accepted events, for the log: a minted batch when the batch was all valid and
    no event came with an id, else entries."""
    ids: list[str]
    """Ids of the accepted events, in request order."""
    indexes: list[int]
    """Position in the request of each accepted event."""
    rejected: list[Rejection]


class EventDecoder:
    """Validates raw items and turns the good ones into what the log appends."""

    def __init__(self, schemas: DetailSchemas, limits: IngestConfig, *, partitions: int,
                 region: str, account: str) -> None:
        self._schemas = schemas
        self._limits = limits
        self._region = region
        self._account = account
        self._envelope = msgspec.json.Decoder(Event[msgspec.Raw])
        self._envelopes = msgspec.json.Decoder(list[_known_fields_event(region, account)])
        encoder = msgspec.json.Encoder()
        self._encode = encoder.encode
        self._encode_lines = encoder.encode_lines
        self._partitioner = Partitioner(partitions)
        self._ids = EventIdSource()

    def decode_batch(self, items: EventItems, received_at: float) -> DecodedBatch:
        """Decode every item; a bad item is rejected alone. Raises `IngestError` only for
        what fails the body as a whole (a JSON array split here: malformed, too many events)."""
        now = datetime.fromtimestamp(received_at, UTC)
        now_ms = int(received_at * 1000)
        decoded = self._decode_all_valid(items, now, now_ms)
        if decoded is not None:
            to_append, ids = decoded
            return DecodedBatch(to_append, ids, list(range(len(ids))), [])
        entries: list[LogEntry] = []
        indexes: list[int] = []
        rejected: list[Rejection] = []
        for index, raw in enumerate(items):
            try:
                entries.append(self.decode_item(raw, index, now, now_ms, external=True))
                indexes.append(index)
            except ItemError as exc:
                rejected.append(Rejection(index=index, error=str(exc)))
        return DecodedBatch(entries, [e.id for e in entries], indexes, rejected)

    def _decode_all_valid(self, items: EventItems, now: datetime, now_ms: int
                          ) -> tuple[Appendable, list[str]] | None:
        """The whole batch in a few C calls, and its ids; None as soon as any item may be
        invalid."""
        events = self._valid_envelopes(items)
        if events is None:
            return None
        if not all(map(_time, events)):
            for event in events:
                self._fill(event, now)
        if not any(map(_id, events)):
            minted = self._ids.take(now_ms, len(events))
            return self._minted_batch(events, minted), minted
        return self._entries(events, now_ms)

    def _entries(self, events: list[Event[msgspec.Raw]], now_ms: int
                 ) -> tuple[list[LogEntry], list[str]]:
        """Entries of events some of whose ids a client gave; the others are minted."""
        missing = [event for event in events if not event.id]
        for event, event_id in zip(missing, self._ids.take(now_ms, len(missing)), strict=True):
            event.id = event_id
        ids = list(map(_id, events))
        keys = [e.resources[0] if e.resources else e.source for e in events]
        return list(map(LogEntry, keys, ids, map(self._encode, events))), ids

    def _minted_batch(self, events: list[Event[msgspec.Raw]], minted: list[str]
                      ) -> MintedBatch:
        """Events given the `minted` ids, grouped by partition and encoded a group at a time."""
        partition = self._partitioner
        groups: list[list[Event[msgspec.Raw]]] = [[] for _ in range(partition.partitions)]
        for event, event_id in zip(events, minted, strict=True):
            event.id = event_id
            groups[partition[event.resources[0] if event.resources else event.source]].append(
                event)
        records = [RecordBatch(part, len(group), self._encode_lines(group)[:-1])
                   for part, group in enumerate(groups) if group]
        return MintedBatch(IdRange(minted[0], minted[-1]), partition.partitions, records)

    def _valid_envelopes(self, items: EventItems) -> list[Event[msgspec.Raw]] | None:
        """The envelopes of `items`, their details validated too; None if any item may be
        invalid. Validation is the same as `decode_item`'s (the per-item path then finds
        and words the error), so the fast path never accepts what it would refuse."""
        limits = self._limits
        try:
            events = self._envelopes.decode(items.array)
            details = list(map(_detail, events))
            if not items.split:
                check_count(len(events), limits)
            elif len(events) != len(items):  # an NDJSON line or lone body held several values
                return None
            if not _within_size_limit(items, details, limits.max_event_bytes):
                return None
            pairs = set(map(_pair, events))
            scan = {pair for pair in pairs
                    if self._schemas.needs_scan(*pair, limits.max_depth - 1)}
            if scan and any(nesting_depth_exceeds(raw, limits.max_depth) for raw in items):
                return None  # whole items: a repeated `detail` key hides all but its last value
            multiline = False
            for source, detail_type in pairs:
                if self._schemas.internal(source, detail_type):
                    return None
                if len(pairs) > 1:
                    details = [e.detail for e in events
                               if e.source == source and e.detail_type == detail_type]
                joined = b"[" + b",".join(details) + b"]"
                if (source, detail_type) in scan and may_hold_big_int(joined):
                    return None
                self._schemas.list_decoder(source, detail_type).decode(joined)
                if _invalid_utf8(joined):
                    return None
                multiline = multiline or b"\n" in joined or b"\r" in joined
        except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError, RecursionError):
            return None
        if multiline:
            _one_line_details(events)
        return events

    def decode_item(self, raw: bytes, index: int, now: datetime, now_ms: int, *,
                    external: bool = False) -> LogEntry:
        """One item -> one log entry, or `ItemError` naming the path and what was expected.
        An `external` item (from a client) may not be an event vigila produces itself."""
        limits = self._limits
        if len(raw) > limits.max_event_bytes:
            raise ItemError(
                f"event {index} is {len(raw)} bytes; the limit is {limits.max_event_bytes}"
            )
        depth = nesting_depth_exceeds(raw, limits.max_depth)
        if depth is not None:
            raise ItemError(f"event {index} nests {depth} levels deep; the limit is "
                            f"{limits.max_depth}")
        try:
            event = self._decode(self._envelope, raw, f"$[{index}]")
        except ItemError:  # `{..},"id":"x"` fails validation first, but is malformed JSON
            self._decode(_one_value, raw, f"$[{index}]")
            raise
        if external and self._schemas.internal(event.source, event.detail_type):
            raise ItemError(f"`$[{index}].source`: {event.source!r} / {event.detail_type!r} "
                            "events are produced by vigila itself and cannot be ingested")
        detail = self._decode(
            self._schemas.decoder(event.source, event.detail_type),
            event.detail,
            f"$[{index}].detail",
        )
        if may_hold_big_int(raw):
            where = find_big_int(detail, f"$[{index}].detail")
            if where:
                raise ItemError(f"integer out of 64-bit range - at `{where}`")
        bad_text = _invalid_utf8(bytes(event.detail))
        if bad_text:
            raise ItemError(f"invalid UTF-8 at $[{index}].detail, byte {bad_text.start}: "
                            f"{bad_text.reason}")
        if b"\n" in raw or b"\r" in raw:
            _one_line_details([event])
        if not event.id:
            event.id = self._ids.next(now_ms)
        self._fill(event, now)
        return LogEntry(key=event.partition_key, id=event.id, data=self._encode(event))

    def _fill(self, event: Event[msgspec.Raw], now: datetime) -> None:
        """Receive time, configured region and account where the event left them out."""
        if event.time is None:
            event.time = now
        if not event.region:
            event.region = self._region
        if not event.account:
            event.account = self._account

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
