import sys
import threading
import uuid

import pytest

from vigila.events.envelope import EventIdSource, _counted, new_event_id


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


def test_take_gives_consecutive_ids_that_continue_the_sequence():
    source = EventIdSource()
    batch = source.take(7, 1000)
    after = source.next(7)
    assert len(set(batch)) == 1000 and batch == sorted(batch) and after > batch[-1]
    assert all(uuid.UUID(i).version == 7 for i in batch[::100])


def test_ids_stay_unique_when_threads_draw_at_once():
    source = EventIdSource()
    drawn: list[list[str]] = []
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible to expose races
    try:
        def draw() -> None:
            drawn.append([i for _ in range(2000) for i in (source.next(9), *source.take(9, 3))])

        threads = [threading.Thread(target=draw) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(previous)
    ids = [i for batch in drawn for i in batch]
    assert len(ids) == 8 * 2000 * 4 and len(set(ids)) == len(ids)


def test_take_counts_across_the_low_digits_and_formats_like_one_id_at_a_time():
    batch = EventIdSource().take(11, 9000)  # crosses a multiple of 4,096 at least twice
    first = int(batch[0][-12:], 16)
    assert batch == [f"{batch[0][:24]}{n:012x}" for n in range(first, first + 9000)]


@pytest.mark.parametrize("first", [0, 1, 4095, 4096, 4097, 2**47 - 3, 2**48 - 5000])
@pytest.mark.parametrize("count", [0, 1, 2, 4095, 4096, 4097])
def test_counted_ids_match_formatting_each_counter(first, count):
    expected = [f"p-{n:012x}" for n in range(first, first + count)]
    assert _counted("p-", first, first + count) == expected
