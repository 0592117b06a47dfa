import gzip

import pytest

from vigila.config.schema import IngestConfig
from vigila.ingest.body import decompress, media_type, split_items
from vigila.ingest.errors import (
    BatchTooLarge,
    BodyTooLarge,
    EmptyBatch,
    MalformedBody,
    UnsupportedMediaType,
)

LIMITS = IngestConfig(max_batch_events=5, max_decompressed_bytes=10_000)


def test_json_array_items_keep_their_bytes_and_are_split_on_first_use():
    body = b' [ {"a": 1} , {"b": [2]} ] '
    items = split_items(body, "application/json", None, LIMITS)
    assert items.array is body and not items.split  # decoded as sent, no copy
    assert list(items) == [b'{"a": 1}', b'{"b": [2]}'] and items[1] == b'{"b": [2]}'
    assert items.split and items.largest == 10


def test_single_object_is_a_batch_of_one():
    items = split_items(b'{"a": 1}', None, None, LIMITS)
    assert list(items) == [b'{"a": 1}'] and items.array == b'[{"a": 1}]'


def test_ndjson_skips_blank_lines_and_keeps_bad_lines_for_item_errors():
    body = b'{"a": 1}\n\n{oops\r\n{"c": 3}\n'
    items = split_items(body, "application/x-ndjson; charset=utf-8", None, LIMITS)
    assert list(items) == [b'{"a": 1}', b"{oops\r", b'{"c": 3}']
    assert items.array == b'[{"a": 1},{oops\r,{"c": 3}]'


def test_gzip_is_decoded_for_both_formats():
    body = gzip.compress(b'[{"a": 1}]')
    assert list(split_items(body, "application/json", "gzip", LIMITS)) == [b'{"a": 1}']
    body = gzip.compress(b'{"a": 1}\n{"b": 2}')
    assert len(split_items(body, "application/x-ndjson", "GZIP", LIMITS)) == 2


def test_concatenated_gzip_members_are_all_read():
    body = gzip.compress(b'{"a": 1}\n') + gzip.compress(b'{"b": 2}\n')
    assert len(split_items(body, "application/x-ndjson", "gzip", LIMITS)) == 2


@pytest.mark.parametrize("payload", [b"[" * 200_000, b" " * 50_000_000])
def test_gzip_bomb_is_refused_without_inflating_it_all(payload):
    bomb = gzip.compress(payload, 9)
    with pytest.raises(BodyTooLarge, match="decompresses to more than 10000 bytes"):
        decompress(bomb, "gzip", 10_000)


def test_truncated_and_fake_gzip():
    with pytest.raises(MalformedBody, match="truncated"):
        decompress(gzip.compress(b"[1, 2, 3]" * 100)[:30], "gzip", 10_000)
    with pytest.raises(MalformedBody, match="not valid gzip"):
        decompress(b"plain text", "gzip", 10_000)


@pytest.mark.parametrize(("ctype", "encoding", "message"), [
    ("text/plain", None, "content-type 'text/plain' is not supported"),
    ("application/xml", None, "not supported"),
    ("application/json", "br", "content-encoding 'br' is not supported"),
    ("application/json", "deflate", "content-encoding 'deflate'"),
])
def test_unsupported_types_are_415(ctype, encoding, message):
    with pytest.raises(UnsupportedMediaType, match=message):
        split_items(b"[]", ctype, encoding, LIMITS)


@pytest.mark.parametrize("body", [b"", b"   ", b"[]", b"\n\n"])
def test_empty_batches(body):
    kind = "application/x-ndjson" if b"\n" in body else "application/json"
    with pytest.raises(EmptyBatch, match="at least one event"):
        split_items(body, kind, None, LIMITS)


@pytest.mark.parametrize("body", [b"[{]", b"[1, 2", b"nope", b"42", b'"str"', b"[NaN]",
                                  b"[Infinity]", b"[" * 10_000 + b"]" * 10_000, b"[]x", b"[]]",
                                  b"[] {}", b"[\x0b]"])
def test_malformed_json_bodies(body):
    with pytest.raises(MalformedBody):
        len(split_items(body, "application/json", None, IngestConfig()))


@pytest.mark.parametrize("kind", ["application/json", "application/x-ndjson"])
def test_batch_limit_names_both_counts(kind):
    separator = b"," if kind == "application/json" else b"\n"
    body = separator.join([b"{}"] * 6)
    with pytest.raises(BatchTooLarge, match="6 events; the limit is 5"):
        len(split_items(b"[" + body + b"]" if separator == b"," else body, kind, None, LIMITS))


def test_media_type_parsing():
    assert media_type(None) == "application/json"
    assert media_type("Application/JSON ; charset=UTF-8") == "application/json"


@pytest.mark.parametrize(("ctype", "body"), [
    ("application/json", b'[{"a": 1}, {"b": 2}]'),
    ("application/json", b'{"a": 1}'),
    ("application/x-ndjson", b'{"a": 1}\n{"b": 2}\n'),
])
def test_a_leading_byte_order_mark_is_ignored_and_one_elsewhere_is_not(ctype, body):
    bom = b"\xef\xbb\xbf"
    plain = list(split_items(body, ctype, None, LIMITS))
    assert list(split_items(bom + body, ctype, None, LIMITS)) == plain
    assert list(split_items(gzip.compress(bom + body), ctype, "gzip", LIMITS)) == plain
    with pytest.raises(MalformedBody):  # twice is not a byte order mark but text
        list(split_items(bom + bom + body, "application/json", None, LIMITS))
