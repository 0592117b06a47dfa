import json
import uuid

import msgspec
import pytest

from tests.support import T0, fabric_event, plain_event
from vigila.config.schema import IngestConfig
from vigila.events.schemas import DetailSchemas
from vigila.ingest.body import EventItems, split_items
from vigila.ingest.decoder import EventDecoder
from vigila.ingest.errors import BatchTooLarge, MalformedBody
from vigila.log.base import MintedBatch, partition_for
from vigila.packs.base import load_packs, register_schemas


@pytest.fixture
def decoder() -> EventDecoder:
    return EventDecoder(register_schemas(load_packs(["fabric"])),
                        IngestConfig(max_event_bytes=4096, max_depth=8), partitions=4,
                        region="eu-west-1", account="123456789012")


def decode(decoder, *events, raw=None):
    items = raw if raw is not None else [json.dumps(e).encode() for e in events]
    return decoder.decode_batch(EventItems(items), T0)


def stored(batch):
    """The accepted events as the log will store them, and their partitions (of 4), in
    request order."""
    if isinstance(batch.to_append, MintedBatch):
        groups = [(r.partition, r.data.split(b"\n")) for r in batch.to_append.records]
        assert [r.count for r in batch.to_append.records] == [len(g) for _, g in groups]
    else:
        groups = [(partition_for(e.key, 4), [e.data]) for e in batch.to_append]
    position = {event_id: index for index, event_id in enumerate(batch.ids)}
    by_id = {}
    for part, lines in groups:
        events = list(map(msgspec.json.decode, lines))
        order = [position[event["id"]] for event in events]
        assert order == sorted(order)  # within a partition, in request order
        by_id.update((event["id"], (event, part)) for event in events)
    assert len(by_id) == len(position)
    return [by_id[i] for i in batch.ids]


def test_defaults_are_filled_in_and_detail_bytes_are_kept(decoder):
    batch = decode(decoder, plain_event(1))
    assert not batch.rejected
    ((event, part),) = stored(batch)
    assert uuid.UUID(event["id"]).version == 7
    assert event["time"].startswith("2026-09-21T")
    assert (event["region"], event["account"], event["version"]) == (
        "eu-west-1", "123456789012", "0")
    assert event["detail"] == {"n": 1}
    assert part == partition_for("order-1", 4)


def test_a_batch_whose_ids_are_all_minted_reports_the_run(decoder):
    batch = decode(decoder, *(plain_event(i) for i in range(20)))
    ids = [event["id"] for event, _ in stored(batch)]
    run = batch.to_append.run
    assert ids == batch.ids and (run.first, run.last) == (ids[0], ids[-1])
    assert ids == sorted(ids) and all(i[:24] == ids[0][:24] for i in ids)
    # one id given by the client: every id is checked, so no run is reported
    assert isinstance(decode(decoder, plain_event(1), plain_event(2, id="given")).to_append, list)
    # the per-item path (a bad item in the batch) reports none either
    assert isinstance(decode(decoder, plain_event(1), {"source": 1}).to_append, list)


def test_a_minted_batch_is_grouped_by_partition_in_request_order(decoder):
    events = [plain_event(i, resources=[f"r{i % 7}"]) for i in range(50)]
    batch = decode(decoder, *events)
    records = batch.to_append.records
    assert batch.to_append.partitions == 4 and sum(r.count for r in records) == 50
    assert len({r.partition for r in records}) == len(records) > 1
    for event, part in stored(batch):  # stored() also checks the order within each record
        assert part == partition_for(event["resources"][0], 4)


def test_given_fields_are_kept(decoder):
    event = plain_event(2, id="my-id", time="2026-01-02T03:04:05+02:00", region="us-east-1",
                        resources=[])
    ((kept, part),) = stored(decode(decoder, event))
    assert kept["id"] == "my-id" and kept["region"] == "us-east-1"
    assert kept["time"] == "2026-01-02T03:04:05+02:00"
    assert part == partition_for("app.orders", 4)  # no resource: the source is the key


def test_ids_are_unique_and_ordered(decoder):
    batch = decode(decoder, *[plain_event(i) for i in range(1000)])
    assert len(set(batch.ids)) == 1000 and batch.ids == sorted(batch.ids)
    assert [event["id"] for event, _ in stored(batch)] == batch.ids


@pytest.mark.parametrize(("event", "error"), [
    ({"detail-type": "x", "detail": {}}, "Object missing required field `source` - at `$[0]`"),
    ({"source": 5, "detail-type": "x", "detail": {}},
     "Expected `str`, got `int` - at `$[0].source`"),
    ({"source": "", "detail-type": "x", "detail": {}},
     "Expected `str` of length >= 1 - at `$[0].source`"),
    ({"source": "s", "detail-type": "x", "detail": []},
     "Expected `object`, got `array` - at `$[0].detail`"),
    ({"source": "s", "detail-type": "x"}, "missing required field `detail`"),
    ({"source": "s", "detail-type": "x", "detail": {}, "time": "yesterday"}, "`$[0].time`"),
    ({"source": "s", "detail-type": "x", "detail": {}, "time": "2026-01-01T00:00:00"},
     "timezone"),
    ({"source": "s", "detail-type": "x", "detail": {}, "resources": "r"}, "`$[0].resources`"),
    ({"source": "s", "detail-type": "x", "detail": {}, "resources": [1]},
     "`$[0].resources[0]`"),
    ({"source": "s" * 257, "detail-type": "x", "detail": {}}, "length <= 256"),
    ([1, 2], "Expected `object`, got `array` - at `$[0]`"),
    ("text", "Expected `object`, got `str`"),
    (None, "Expected `object`, got `null`"),
])
def test_envelope_errors_name_path_and_expectation(decoder, event, error):
    batch = decode(decoder, event)
    assert not batch.to_append and not batch.ids
    assert error in batch.rejected[0].error


@pytest.mark.parametrize(("detail", "error"), [
    ({"utilization": 101}, "Expected `float` <= 100.0 - at `$[0].detail.utilization`"),
    ({"utilization": -1}, "`$[0].detail.utilization`"),
    ({"error_rate": 1.5}, "`$[0].detail.error_rate`"),
    ({"latency_p99": "fast"}, "Expected `float`, got `str` - at `$[0].detail.latency_p99`"),
    ({"qp_errors": -3}, "`$[0].detail.qp_errors`"),
    ({"qp_errors": 1.5}, "Expected `int`, got `float` - at `$[0].detail.qp_errors`"),
    ({"stream_id": ""}, "`$[0].detail.stream_id`"),
])
def test_pack_detail_is_validated_with_the_field_named(decoder, detail, error):
    batch = decode(decoder, fabric_event(0, **detail))
    assert error in batch.rejected[0].error


def test_a_bad_item_is_rejected_alone(decoder):
    items = [json.dumps(plain_event(0)).encode(), b"{broken", json.dumps(plain_event(2)).encode()]
    batch = decode(decoder, raw=items)
    assert batch.indexes == [0, 2]
    assert [r.index for r in batch.rejected] == [1]
    assert "malformed JSON at $[1]" in batch.rejected[0].error


def test_oversized_event(decoder):
    event = plain_event(0, detail={"blob": "x" * 5000})
    assert "bytes; the limit is 4096" in decode(decoder, event).rejected[0].error


def test_depth_limit_counts_real_nesting_not_brackets_in_strings(decoder):
    deep = {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": 1}}}}}}}}
    assert "nests 9 levels deep; the limit is 8" in decode(
        decoder, plain_event(0, detail=deep)).rejected[0].error
    brackets_in_text = plain_event(0, detail={"text": "[[[[[[[[[[{{{{{{{{{{"})
    assert not decode(decoder, brackets_in_text).rejected


def test_depth_ten_thousand_does_not_crash(decoder):
    raw = b'{"source":"s","detail-type":"x","detail":{"a":' + b"[" * 2000 + b"]" * 2000 + b"}}"
    assert "levels deep" in decode(decoder, raw=[raw]).rejected[0].error


@pytest.mark.parametrize("number", ["18446744073709551616", "-9223372036854775809",
                                    "123456789012345678901234567890"])
def test_integers_beyond_64_bits_are_rejected(decoder, number):
    raw = ('{"source":"s","detail-type":"x","detail":{"a":{"b":[1,' + number + "]}}}").encode()
    assert "integer out of 64-bit range - at `$[0].detail.a.b[1]`" in decode(
        decoder, raw=[raw]).rejected[0].error


def test_long_digit_strings_and_64_bit_edges_are_fine(decoder):
    raw = (b'{"source":"s","detail-type":"x","detail":{"id":"12345678901234567890123",'
           b'"max":18446744073709551615,"min":-9223372036854775808}}')
    assert not decode(decoder, raw=[raw]).rejected


@pytest.mark.parametrize("raw", [
    b'{"source":"s\xff","detail-type":"x","detail":{}}',
    b'{"source":"s","detail-type":"x","detail":{"k":"\xed\xa0\x80"}}',
    b'{"source":"s","detail-type":"x","detail":{"k":"\\ud800"}}',
])
def test_invalid_utf8_is_an_item_error(decoder, raw):
    batch = decode(decoder, raw=[raw])
    assert not batch.to_append and batch.rejected[0].index == 0


def test_unregistered_detail_types_keep_any_object():
    decoder = EventDecoder(DetailSchemas(), IngestConfig(), partitions=4, region="r",
                           account="a")
    batch = decode(decoder, plain_event(0, detail={"nested": {"list": [1, "two", None]}}))
    assert not batch.rejected


def test_bounded_pack_types_skip_the_scans_but_unbounded_ones_do_not():
    from typing import Annotated, Any

    from vigila.events.schemas import bounded_depth
    from vigila.packs.fabric.schema import PortMetrics

    assert bounded_depth(PortMetrics) == 1
    assert bounded_depth(dict[str, Any]) is None
    assert bounded_depth(list[int]) is None  # an unconstrained int may exceed 64 bits
    assert bounded_depth(list[Annotated[int, msgspec.Meta(ge=0, le=9)]]) == 1


def test_fast_and_item_paths_agree_on_a_mixed_batch(decoder):
    good = [json.dumps(e).encode() for e in (fabric_event(1), plain_event(2))]
    bad = [b'{"source":"s","detail-type":"x","detail":{"n":' + b"9" * 25 + b"}}",
           json.dumps(plain_event(3, detail={"a": {"b": {"c": {"d": {"e": {"f": {"g": {}}}}}}}})
                      ).encode()]
    for item in bad:
        assert decode(decoder, raw=[*good, item]).rejected[0].index == 2
    assert not decode(decoder, raw=good).rejected


def test_the_fast_path_refuses_what_the_per_item_path_refuses(decoder):
    good = json.dumps(plain_event(1)).encode()
    two_in_one = good + b"," + good  # one NDJSON line, two values
    batch = decoder.decode_batch(EventItems([good, two_in_one, good]), T0)
    assert batch.indexes == [0, 2] and [r.index for r in batch.rejected] == [1]
    assert "malformed JSON at $[1]" in batch.rejected[0].error
    lone = decoder.decode_batch(EventItems([two_in_one]), T0)  # a lone object body
    assert not lone.to_append and len(lone.rejected) == 1
    deep = json.dumps({**plain_event(2), "extra": [[[[[[[[[[1]]]]]]]]]]}).encode()
    nested = decoder.decode_batch(EventItems([good, deep]), T0)
    assert nested.indexes == [0] and "nests 11 levels deep" in nested.rejected[0].error
    shallow = json.dumps({**plain_event(3), "extra": 1}).encode()
    assert decoder.decode_batch(EventItems([good, shallow]), T0).indexes == [0, 1]


def test_both_paths_fill_in_what_each_event_left_out_or_left_empty(decoder):
    events = [plain_event(0), plain_event(1, id="", region="", account=""),
              plain_event(2, id="given", time="2026-01-02T03:04:05Z", region="r", account="a"),
              {**plain_event(3), "time": None}]
    fast = decode(decoder, *events)
    by_item = decode(decoder, *events, {"source": 1})  # one bad item: the per-item path
    for batch in (fast, by_item):
        kept = [event for event, _ in stored(batch)]
        assert [(s["region"], s["account"]) for s in kept] == [
            ("eu-west-1", "123456789012")] * 2 + [("r", "a"), ("eu-west-1", "123456789012")]
        assert [s["time"][:10] for s in kept] == ["2026-09-21", "2026-09-21", "2026-01-02",
                                                  "2026-09-21"]
        assert kept[2]["id"] == "given" and all(uuid.UUID(s["id"]) for s in kept[::3])
        assert kept[1]["id"] and len({s["id"] for s in kept}) == 4
    assert isinstance(fast.to_append, list) and not fast.rejected and len(by_item.rejected) == 1


def array_of(*events, limits=None):
    limits = limits or IngestConfig(max_event_bytes=4096, max_batch_events=50)
    return split_items(json.dumps(events).encode(), "application/json", None, limits)


def test_an_array_of_valid_events_is_decoded_without_being_split(decoder):
    items = array_of(*(fabric_event(i) for i in range(10)))
    batch = decoder.decode_batch(items, T0)
    assert not items.split and batch.indexes == list(range(10)) and not batch.rejected
    assert [event["detail"]["stream_id"] for event, _ in stored(batch)] == [
        fabric_event(i)["resources"][0] for i in range(10)]


def test_an_array_whose_events_may_be_too_large_is_split_and_each_checked(decoder):
    small = [plain_event(i, detail={}) for i in range(45)]  # envelopes add up past 4096 bytes
    items = array_of(*small)
    assert len(stored(decoder.decode_batch(items, T0))) == 45 and items.split
    for big in (plain_event(99, detail={"blob": "x" * 5000}),
                plain_event(98, resources=["r" * 2000] * 3)):  # a large envelope, small detail
        items = array_of(plain_event(0), big, plain_event(2))
        batch = decoder.decode_batch(items, T0)
        assert batch.indexes == [0, 2] and items.split
        assert batch.rejected[0].index == 1
        assert "bytes; the limit is 4096" in batch.rejected[0].error


def test_an_unsplit_array_is_still_counted_and_parsed_as_a_whole(decoder):
    with pytest.raises(BatchTooLarge, match="51 events; the limit is 50"):
        decoder.decode_batch(array_of(*(plain_event(i) for i in range(51))), T0)
    with pytest.raises(BatchTooLarge, match="51 events"):  # found by the per-item path
        decoder.decode_batch(array_of(*(plain_event(i) for i in range(50)), {"source": 1}), T0)
    limits = IngestConfig()
    broken = EventItems(None, json.dumps([plain_event(1)]).encode()[:-1], limits)
    with pytest.raises(MalformedBody, match="not valid JSON"):
        decoder.decode_batch(broken, T0)


def test_events_without_resources_take_the_fast_path(decoder):
    batch = decode(decoder, *({"source": "app.orders", "detail-type": "Ping", "detail": {}}
                              for _ in range(3)))
    assert isinstance(batch.to_append, MintedBatch)
    assert [part for _, part in stored(batch)] == [partition_for("app.orders", 4)] * 3


def test_a_large_batch_of_small_events_stays_on_the_fast_path():
    decoder = EventDecoder(DetailSchemas(), IngestConfig(), partitions=4, region="r",
                           account="a")
    items = array_of(*(plain_event(i) for i in range(10_000)), limits=IngestConfig())
    batch = decoder.decode_batch(items, T0)
    assert items.split  # the envelopes add up past the size limit: each event is measured
    assert isinstance(batch.to_append, MintedBatch) and len(stored(batch)) == 10_000


def test_a_repeated_detail_key_cannot_hide_deep_nesting_from_the_fast_path(decoder):
    deep = b"[" * 20 + b"]" * 20
    item = (b'{"source":"app.orders","detail-type":"x","resources":["r"],"detail":' + deep +
            b',"detail":{}}')
    batch = decoder.decode_batch(EventItems([json.dumps(plain_event(1)).encode(), item]), T0)
    assert batch.indexes == [0] and "nests 21 levels deep" in batch.rejected[0].error


def test_invalid_utf8_where_the_detail_type_skips_it_is_refused_on_both_paths(decoder):
    """msgspec does not decode the fields a type skips; the log would keep the bytes."""
    bad = json.dumps(fabric_event(1)).encode().replace(b'"detail": {',
                                                       b'"detail": {"junk": "\xff", ')
    alone = decode(decoder, raw=[bad])
    where = bad.index(b"\xff") - bad.index(b"{", bad.index(b'"detail"'))
    assert alone.rejected[0].error == (
        f"invalid UTF-8 at $[0].detail, byte {where}: invalid start byte")
    mixed = decode(decoder, raw=[json.dumps(fabric_event(2)).encode(), bad, b"{"])
    assert mixed.indexes == [0] and [r.index for r in mixed.rejected] == [1, 2]
    accented = json.dumps(fabric_event(3, note="café ✓"), ensure_ascii=False).encode()
    assert not accented.isascii() and not decode(decoder, raw=[accented]).rejected
