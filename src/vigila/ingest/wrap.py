"""Wrap bare details (a pack's own format) into envelopes, without decoding them twice.

>>> (envelope,) = wrap_details([b'{"stream_id": "c/n/1", "utilization": 5}'], "vigila.fabric",
...                            "Port Metrics", "stream_id")
>>> msgspec.json.decode(envelope)["resources"], envelope.endswith(b'"utilization": 5}}')
(['c/n/1'], True)
"""

from __future__ import annotations

import functools
from typing import Any

import msgspec

_encode = msgspec.json.encode


@functools.cache
def _key_decoder(field: str) -> msgspec.json.Decoder[Any]:
    """Reads only `field` of an object; the other fields are skipped, not built."""
    return msgspec.json.Decoder(msgspec.defstruct("Key", [(field, Any, None)]))


def wrap_details(items: list[bytes], source: str, detail_type: str,
                 resource_field: str) -> list[bytes]:
    """One envelope per item; its resource is the item's `resource_field` when that is a
    non-empty string. An item that is not an object is wrapped as is, and the envelope
    decoder then rejects it with its path. An item that is not one JSON value is left
    bare, for the decoder to refuse as malformed: wrapped, `{..},"id":"x"` would set the
    envelope's fields."""
    head = _encode({"source": source, "detail-type": detail_type})[:-1]
    keys = _key_decoder(resource_field)
    wrapped = []
    for raw in items:
        try:
            resource = getattr(keys.decode(raw), resource_field)
        except (msgspec.ValidationError, UnicodeDecodeError, RecursionError):
            resource = None
        except msgspec.DecodeError:
            wrapped.append(raw)
            continue
        resources = [resource] if isinstance(resource, str) and resource else []
        wrapped.append(head + b',"resources":' + _encode(resources) + b',"detail":' + raw + b"}")
    return wrapped
