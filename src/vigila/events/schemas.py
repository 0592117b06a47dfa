"""Which typed struct decodes the `detail` of which `(source, detail-type)`.

Packs register their detail types; every other event keeps a plain JSON object.
Decoders are built once and reused.
"""

from __future__ import annotations

from typing import Any

import msgspec

DetailKey = tuple[str, str]


class DetailSchemas:
    """A registry of detail types, with one cached decoder per type."""

    def __init__(self) -> None:
        self._decoders: dict[DetailKey, msgspec.json.Decoder[Any]] = {}
        self._list_decoders: dict[DetailKey, msgspec.json.Decoder[Any]] = {}
        self._types: dict[DetailKey, type] = {}
        self._generic = msgspec.json.Decoder(dict[str, Any])
        self._generic_list = msgspec.json.Decoder(list[dict[str, Any]])

    def register(self, source: str, detail_type: str, struct: type) -> None:
        """Decode the detail of `(source, detail_type)` events into `struct`."""
        key = (source, detail_type)
        if key in self._types and self._types[key] is not struct:
            raise ValueError(f"detail type {key} is already registered as {self._types[key]}")
        self._types[key] = struct
        self._decoders[key] = msgspec.json.Decoder(struct)
        self._list_decoders[key] = msgspec.json.Decoder(list[struct])  # type: ignore[valid-type]

    def decoder(self, source: str, detail_type: str) -> msgspec.json.Decoder[Any]:
        """The decoder for this pair: typed when registered, a plain object otherwise."""
        return self._decoders.get((source, detail_type), self._generic)

    def list_decoder(self, source: str, detail_type: str) -> msgspec.json.Decoder[Any]:
        """Decodes a JSON array of this pair's details in one call."""
        return self._list_decoders.get((source, detail_type), self._generic_list)

    def registered(self) -> dict[DetailKey, type]:
        return dict(self._types)
