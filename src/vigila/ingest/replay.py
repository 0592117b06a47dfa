"""Replay dead letters: rejected items go through ingest again, failed events back on the
log, failed deliveries back in the outbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import msgspec

from vigila.clock import Clock
from vigila.ingest.body import EventItems
from vigila.ingest.decoder import EventDecoder, ItemError
from vigila.log.base import Appendable, AppendResult
from vigila.notify.group import NOTIFY_RULE
from vigila.store.base import DeadLetter, Store

AppendFn = Callable[[Appendable, bool], AppendResult]
"""Append (see `EventLog.append`); the flag says whether to drop ids already in the log."""


class ReplayOutcome(msgspec.Struct):
    id: int
    replayed: bool
    result: str


def replay_dead_letters(letters: list[DeadLetter], decoder: EventDecoder, append: AppendFn,
                        store: Store, clock: Clock) -> list[ReplayOutcome]:
    """Replay each letter; a success takes it off the dead-letter list, a failure stays."""
    outcomes = []
    for letter in letters:
        if letter.replayed_at_ms is not None:
            outcome = ReplayOutcome(letter.id, False, "already replayed")
        elif letter.stage.startswith("route:"):
            outcome = _redeliver(letter, store, clock)
        else:
            outcome = _replay_one(letter, decoder, append, clock)
        store.mark_replayed(letter.id, int(clock.now() * 1000), outcome.result,
                            succeeded=outcome.replayed)
        outcomes.append(outcome)
    return outcomes


def _redeliver(letter: DeadLetter, store: Store, clock: Clock) -> ReplayOutcome:
    """A delivery that failed for good goes back in the outbox as it was: the same target
    and payload, nothing processed or routed again."""
    if letter.stage.startswith(f"route:{NOTIFY_RULE}"):
        return ReplayOutcome(letter.id, False, "a grouped notification is not replayed: its "
                             "group sends its alerts again at the next interval")
    if store.outbox_requeue(letter, int(clock.now() * 1000)):
        return ReplayOutcome(letter.id, True,
                             f"delivery of event {letter.event_id} queued again")
    return ReplayOutcome(letter.id, False, "its delivery is no longer in the outbox "
                         "(kept as long as the events); nothing to queue again")


def _replay_one(letter: DeadLetter, decoder: EventDecoder, append: AppendFn,
                clock: Clock) -> ReplayOutcome:
    if letter.raw_size > len(letter.raw):
        return ReplayOutcome(letter.id, False,
                             f"only {len(letter.raw)} of {letter.raw_size} bytes were kept")
    now = clock.now()
    if letter.stage != "ingest":
        # The event was accepted once: put the same event back for the pipeline, same id.
        try:
            entry = decoder.decode_item(letter.raw, 0, datetime.fromtimestamp(now, UTC),
                                        int(now * 1000))
        except ItemError as exc:
            return ReplayOutcome(letter.id, False, f"rejected again: {exc}")
        append([entry], False)
        return ReplayOutcome(letter.id, True, f"re-queued event {entry.id}")
    batch = decoder.decode_batch(EventItems([letter.raw]), now)
    if batch.rejected:
        return ReplayOutcome(letter.id, False, f"rejected again: {batch.rejected[0].error}")
    result = append(batch.to_append, True)
    verb = "duplicate of" if result.duplicates else "accepted as"
    return ReplayOutcome(letter.id, True, f"{verb} event {batch.ids[0]}")
