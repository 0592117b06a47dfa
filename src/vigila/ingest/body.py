"""Split a request body into raw event items: JSON array or object, NDJSON, gzip or not.

>>> split_items(b'[{"a": 1}, {"b": 2}]', "application/json", None, limits=IngestConfig())
[b'{"a": 1}', b'{"b": 2}']
"""

from __future__ import annotations

import zlib

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


def media_type(content_type: str | None) -> str:
    """`application/json; charset=utf-8` -> `application/json`; absent means JSON."""
    if not content_type:
        return "application/json"
    return content_type.split(";", 1)[0].strip().lower()


def split_items(
    body: bytes, content_type: str | None, content_encoding: str | None, limits: IngestConfig
) -> list[bytes]:
    """Decompress and split a body into one raw byte string per event."""
    kind = media_type(content_type)
    if kind not in JSON_TYPES and kind not in NDJSON_TYPES:
        raise UnsupportedMediaType(
            f"content-type {kind!r} is not supported; send application/json (an array or "
            f"one object) or application/x-ndjson (one event per line)"
        )
    body = decompress(body, content_encoding, limits.max_decompressed_bytes)
    items = _ndjson_items(body) if kind in NDJSON_TYPES else _json_items(body)
    if not items:
        raise EmptyBatch("the batch is empty: send at least one event")
    if len(items) > limits.max_batch_events:
        raise BatchTooLarge(
            f"the batch has {len(items)} events; the limit is {limits.max_batch_events}"
        )
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


def _json_items(body: bytes) -> list[bytes]:
    start = body.lstrip()[:1]
    if not start:
        return []
    if start == b"{":
        return [body]
    if start != b"[":
        raise MalformedBody("the body must be a JSON array of events or one event object")
    try:
        return [bytes(raw) for raw in _items.decode(body)]
    except msgspec.DecodeError as exc:
        raise MalformedBody(f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise MalformedBody("the body nests arrays or objects too deeply") from None


def _ndjson_items(body: bytes) -> list[bytes]:
    return [line for line in body.split(b"\n") if line.strip()]
