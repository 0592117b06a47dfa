"""Following stored records as they come: a cursor that loses none and repeats none.

>>> from vigila.store.base import OutputRecord
>>> rows = [OutputRecord("insight", k, "e", t, b"") for k, t in [("a", 5), ("b", 5), ("c", 6)]]
>>> cursor = Cursor(5, {"a"})
>>> [r.key for r in cursor.newer(lambda since: [r for r in rows if r.time_ms > since], 10)]
['b', 'c']
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from vigila.store.base import OutputRecord


class Cursor:
    """Where a follower is: the newest time seen and the keys seen at that time, so that
    records stored later in the same millisecond are still shown, once each. `keys` None:
    everything at `time_ms` counts as seen (resuming from a time alone)."""

    def __init__(self, time_ms: int, keys: set[str] | None) -> None:
        self.time_ms = time_ms
        self.keys = keys

    def newer(self, fetch: Callable[[int], list[OutputRecord]], page: int
              ) -> Iterator[OutputRecord]:
        """Every record after the cursor, oldest first, paging through `fetch(since_ms)`:
        records with `time_ms > since_ms`, oldest first, at most `page` of them."""
        while True:
            found = fetch(self.time_ms - (self.keys is not None))
            fresh = [r for r in found if r.time_ms > self.time_ms
                     or (self.keys is not None and r.key not in self.keys)]
            for record in fresh:
                if record.time_ms > self.time_ms or self.keys is None:
                    self.time_ms, self.keys = record.time_ms, set()
                self.keys.add(record.key)
                yield record
            if len(found) < page or not fresh:
                return
