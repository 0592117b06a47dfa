"""Split a request body into raw event items: JSON array or object, NDJSON, gzip or not.

>>> items = split_items(b'[{"a": 1}, {"b": 2}]', "application/json", None, limits=IngestConfig())
>>> list(items), items.largest
([b'{"a": 1}', b'{"b": 2}'], 8)
"""

from __future__ import annotations

import codecs
import re
import zlib
from collections.abc import Iterator, Sequence

import msgspec

from vigila.config.schema import IngestConfig
from vigila.ingest.errors import (
    BatchTooLarge,
    BodyTooLarge,
    EmptyBatch,
    MalformedBody,
    UnsupportedMediaType,
)

JSON_TYPES = frozenset({"application/json", "text/json"})
NDJSON_TYPES = frozenset(
    {"application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines"}
)
GZIP_ENCODINGS = frozenset({"gzip", "x-gzip"})
_items = msgspec.json.Decoder(list[msgspec.Raw])
_EMPTY_ARRAY = re.compile(rb"[ \t\r\n]*\[[ \t\r\n]*\][ \t\r\n]*")


class EventItems:
    """The raw events of one body, in order.

    A JSON array body is split into its events only when they are asked for: a
    batch of valid events is decoded straight from the body (`array`), and the
    decoder checks the count and sizes there. Each event's bytes are copied out
    only when asked for.
    """

    __slots__ = ("_array", "_limits", "_raws")

    def __init__(self, raws: Sequence[bytes | msgspec.Raw] | None, array: bytes | None = None,
                 limits: IngestConfig | None = None) -> None:
        """`raws`: the events; None to split the JSON array `array` on first use, counted
        against `limits` then (a malformed array raises `MalformedBody` there)."""
        if raws is None and (array is None or limits is None):
            raise ValueError("events to split need the array and the limits")
        self._raws = raws
        self._array = array
        self._limits = limits

    @property
    def split(self) -> bool:
        """Whether the events were split out of the body already."""
        return self._raws is not None

    @property
    def _items(self) -> Sequence[bytes | msgspec.Raw]:
        if self._raws is None:
            assert self._array is not None and self._limits is not None  # see __init__
            self._raws = _split_array(self._array)
            check_count(len(self._raws), self._limits)
        return self._raws

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int) -> bytes:
        return bytes(self._items[index])

    def __iter__(self) -> Iterator[bytes]:
        return map(bytes, self._items)

    @property
    def largest(self) -> int:
        """The size in bytes of the largest event."""
        return max(map(len, self._items))

    @property
    def array(self) -> bytes:
        """All events as one JSON array."""
        if self._array is None:
            self._array = b"[" + b",".join(self._items) + b"]"
        return self._array


def check_count(count: int, limits: IngestConfig) -> None:
    """Raise when a body holds no event or more than the batch limit."""
    if not count:
        raise EmptyBatch("the batch is empty: send at least one event")
    if count > limits.max_batch_events:
        raise BatchTooLarge(
            f"the batch has {count} events; the limit is {limits.max_batch_events}"
        )


def media_type(content_type: str | None) -> str:
    """`application/json; charset=utf-8` -> `application/json`; absent means JSON."""
    if not content_type:
        return "application/json"
    return content_type.split(";", 1)[0].strip().lower()


def split_items(
    body: bytes, content_type: str | None, content_encoding: str | None, limits: IngestConfig
) -> EventItems:
    """Decompress and split a body into its events (a JSON array on first use, see
    `EventItems`); raises `IngestError` for what fails the whole body."""
    kind = media_type(content_type)
    if kind not in JSON_TYPES and kind not in NDJSON_TYPES:
        raise UnsupportedMediaType(
            f"content-type {kind!r} is not supported; send application/json (an array or "
            f"one object) or application/x-ndjson (one event per line)"
        )
    body = decompress(body, content_encoding, limits.max_decompressed_bytes)
    if body.startswith(codecs.BOM_UTF8):  # RFC 8259: a parser may ignore it; some clients send it
        body = body[len(codecs.BOM_UTF8):]
    if kind in NDJSON_TYPES:
        items = _ndjson_items(body)
    elif body.lstrip()[:1] == b"[":
        if _EMPTY_ARRAY.fullmatch(body):
            raise EmptyBatch("the batch is empty: send at least one event")
        return EventItems(None, body, limits)
    else:
        items = _json_object(body)
    check_count(len(items), limits)
    return items


def decompress(body: bytes, content_encoding: str | None, limit: int) -> bytes:
    """Gunzip `body` (every member) without ever holding more than `limit` bytes."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding == "identity":
        return body
    if encoding not in GZIP_ENCODINGS:
        raise UnsupportedMediaType(
            f"content-encoding {encoding!r} is not supported; use gzip or none"
        )
    out = bytearray()
    data = body
    while data:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            out += inflater.decompress(data, limit + 1 - len(out))
            while inflater.unconsumed_tail and len(out) <= limit:
                out += inflater.decompress(inflater.unconsumed_tail, limit + 1 - len(out))
        except zlib.error as exc:
            raise MalformedBody(f"the body is not valid gzip: {exc}") from None
        if len(out) > limit:
            raise BodyTooLarge(f"the body decompresses to more than {limit} bytes (the limit)")
        if not inflater.eof:
            raise MalformedBody("the gzip stream is truncated")
        data = inflater.unused_data
    return bytes(out)


def _json_object(body: bytes) -> EventItems:
    start = body.lstrip()[:1]
    if not start:
        return EventItems([])
    if start != b"{":
        raise MalformedBody("the body must be a JSON array of events or one event object")
    return EventItems([body])


def _split_array(body: bytes) -> list[msgspec.Raw]:
    try:
        return _items.decode(body)
    except msgspec.DecodeError as exc:
        raise MalformedBody(f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise MalformedBody("the body nests arrays or objects too deeply") from None


def _ndjson_items(body: bytes) -> EventItems:
    return EventItems([line for line in body.split(b"\n") if line.strip()])
