"""Dead letters: list them, replay them."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import Response

from vigila.api.deps import require, runtime
from vigila.api.responses import json_response
from vigila.ingest.replay import replay_dead_letters
from vigila.log.base import Appendable, AppendResult
from vigila.runtime import Runtime
from vigila.store.base import DeadLetter

router = APIRouter(tags=["dead letters"])


def letter_view(letter: DeadLetter) -> dict:
    """A dead letter for display: the bytes as text when they are UTF-8, else base64."""
    try:
        raw, encoding = letter.raw.decode(), "utf-8"
    except UnicodeDecodeError:
        raw, encoding = base64.b64encode(letter.raw).decode(), "base64"
    return {
        "id": letter.id, "stage": letter.stage, "reason": letter.reason,
        "event_id": letter.event_id or None, "at_ms": letter.at_ms, "raw": raw,
        "raw_encoding": encoding, "raw_size": letter.raw_size,
        "truncated": letter.raw_size > len(letter.raw),
        "replayed_at_ms": letter.replayed_at_ms, "replay_result": letter.replay_result or None,
    }


@router.get("/v1/deadletters", summary="Dead letters, newest first",
            dependencies=[Depends(require("read"))])
def list_dead_letters(
    stage: str | None = None,
    include_replayed: bool = False,
    limit: int = Query(100, ge=1, le=1000),
    cursor: int | None = Query(None, ge=0),
    rt: Runtime = Depends(runtime),
) -> Response:
    page = rt.store.dead_letters(stage=stage, include_replayed=include_replayed, limit=limit,
                                 cursor=cursor)
    return json_response({"items": [letter_view(x) for x in page.items],
                          "next_cursor": page.next_cursor})


@router.post("/v1/deadletters/replay", summary="Replay dead letters by id",
             dependencies=[Depends(require("admin"))])
def replay(
    ids: Annotated[list[int], Body(embed=True, max_length=1000)],
    rt: Runtime = Depends(runtime),
) -> Response:
    def append(batch: Appendable, dedup: bool) -> AppendResult:
        return rt.writer.submit(batch, dedup).result()

    letters = rt.store.get_dead_letters(ids)
    outcomes = replay_dead_letters(letters, rt.ingest.decoder, append, rt.store, rt.clock)
    rt.dispatcher.worker.wake()  # deliveries queued again are due now
    found = {letter.id for letter in letters}
    missing = [i for i in ids if i not in found]
    return json_response({"outcomes": outcomes, "missing": missing})
