import uuid

from vigila.events.envelope import EventIdSource, new_event_id


def test_ids_are_uuid7_with_the_time_in_front():
    value = uuid.UUID(EventIdSource().next(1_790_000_000_123))
    assert value.version == 7 and value.variant == uuid.RFC_4122
    assert value.int >> 80 == 1_790_000_000_123


def test_ids_are_unique_and_sorted_within_and_across_milliseconds():
    source = EventIdSource()
    ids = [source.next(ms) for ms in range(1000, 1010) for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)


def test_two_sources_do_not_collide():
    a, b = EventIdSource(), EventIdSource()
    assert {a.next(5) for _ in range(1000)}.isdisjoint({b.next(5) for _ in range(1000)})


def test_default_source_uses_the_current_time():
    assert uuid.UUID(new_event_id()).version == 7
