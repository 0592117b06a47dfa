"""Which typed struct decodes the `detail` of which `(source, detail-type)`.

Packs register their detail types; every other event keeps a plain JSON object.
Decoders are built once and reused.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import inspect

DetailKey = tuple[str, str]
INT64_MIN, UINT64_MAX = -(2**63), 2**64 - 1
_SCALARS = (inspect.StrType, inspect.FloatType, inspect.BoolType, inspect.NoneType,
            inspect.DateTimeType, inspect.DateType, inspect.TimeType, inspect.UUIDType,
            inspect.DecimalType, inspect.LiteralType, inspect.EnumType, inspect.BytesType,
            inspect.TimeDeltaType)


def bounded_depth(tp: object) -> int | None:
    """The deepest nesting a value of `tp` can have, when every integer it admits fits in
    64 bits; None when either is unbounded (Any, unconstrained int, recursive types).

    >>> class Port(msgspec.Struct):
    ...     name: str
    ...     lanes: list[float]
    >>> bounded_depth(Port), bounded_depth(dict[str, Any]), bounded_depth(list[int])
    (2, None, None)
    """
    return _depth(inspect.type_info(tp), frozenset())


def _depth(info: inspect.Type, seen: frozenset[type]) -> int | None:
    if isinstance(info, _SCALARS):
        return 0
    if isinstance(info, inspect.IntType):
        low = info.ge if info.ge is not None else info.gt
        high = info.le if info.le is not None else info.lt
        fits = low is not None and high is not None and low >= INT64_MIN and high <= UINT64_MAX
        return 0 if fits else None
    if isinstance(info, inspect.UnionType):
        depths = [_depth(t, seen) for t in info.types]
        return None if None in depths else max(depths)  # type: ignore[type-var]
    if isinstance(info, (inspect.StructType, inspect.TypedDictType, inspect.DataclassType)):
        if info.cls in seen:
            return None
        depths = [_depth(f.type, seen | {info.cls}) for f in info.fields]
        return None if None in depths else 1 + max(depths, default=0)  # type: ignore[type-var]
    if isinstance(info, (inspect.ListType, inspect.SetType, inspect.FrozenSetType,
                         inspect.VarTupleType)):
        inner = _depth(info.item_type, seen)
        return None if inner is None else 1 + inner
    if isinstance(info, inspect.DictType):
        inner = _depth(info.value_type, seen)
        return None if inner is None else 1 + inner
    return None


RESERVED_SOURCES = frozenset({"vigila.insights", "vigila.alarms"})
"""Sources of the events vigila produces; external ingest refuses them, so nobody can forge
an insight or an alarm state change (and page someone)."""


class DetailSchemas:
    """A registry of detail types, with one cached decoder per type."""

    def __init__(self) -> None:
        self._decoders: dict[DetailKey, msgspec.json.Decoder[Any]] = {}
        self._list_decoders: dict[DetailKey, msgspec.json.Decoder[Any]] = {}
        self._types: dict[DetailKey, type] = {}
        self._depths: dict[DetailKey, int] = {}
        self._internal: set[DetailKey] = set()
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
        depth = bounded_depth(struct)
        if depth is not None:
            self._depths[key] = depth

    def mark_internal(self, source: str, detail_type: str) -> None:
        """Only vigila itself may publish `(source, detail_type)` events (derived evidence)."""
        self._internal.add((source, detail_type))

    def internal(self, source: str, detail_type: str) -> bool:
        """Whether an event of this pair must be refused on external ingest: one marked
        internal, or any event of a source vigila reserves for what it produces."""
        return source in RESERVED_SOURCES or (source, detail_type) in self._internal

    def decoder(self, source: str, detail_type: str) -> msgspec.json.Decoder[Any]:
        """The decoder for this pair: typed when registered, a plain object otherwise."""
        return self._decoders.get((source, detail_type), self._generic)

    def list_decoder(self, source: str, detail_type: str) -> msgspec.json.Decoder[Any]:
        """Decodes a JSON array of this pair's details in one call."""
        return self._list_decoders.get((source, detail_type), self._generic_list)

    def needs_scan(self, source: str, detail_type: str, max_depth: int) -> bool:
        """Whether a detail of this pair must be scanned for depth and integer range: its
        type does not already guarantee a depth within `max_depth` and 64-bit integers."""
        depth = self._depths.get((source, detail_type))
        return depth is None or depth > max_depth

    def registered(self) -> dict[DetailKey, type]:
        return dict(self._types)
