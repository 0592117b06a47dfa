"""Flatten an event into dotted field paths, visiting only the paths patterns name.

As in event-ruler, a field's path joins the keys that lead to it with dots,
so `{"a": {"b": 1}}` and `{"a.b": 1}` both hold `a.b`; arrays are crushed
out of paths, each element's leaves landing at the array's own path. Every
leaf inside an array remembers its array membership, `((array, index), ...)`,
so matching can refuse to combine fields from different elements of the same
array ("array consistency").

>>> paths = PathSet(["detail.state", "resources"])
>>> flat = flatten({"detail": {"state": "running", "x": 1}, "resources": ["a", "b"]}, paths)
>>> flat.values
{'detail.state': ['running'], 'resources': ['a', 'b']}
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

MAX_DEPTH = 200
"""Deepest nesting of objects and arrays followed along a pattern's paths."""

Membership = tuple[tuple[int, int], ...]

_LEAF_TYPES = frozenset({str, int, float, bool, type(None), Decimal})
_SCALARS = frozenset({int, float, bool, Decimal})
_MISSING = object()


class _Node:
    """Where one event key leads from a path prefix."""

    __slots__ = ("inner", "leaf", "path")

    def __init__(self, path: str) -> None:
        self.path = path
        self.leaf = False
        self.inner = False


class PathSet:
    """The dotted paths some patterns name, prepared for guided flattening.

    `fast(event)` is generated code that reads exactly these paths from an
    event made of objects, scalars and arrays of scalars. A path maps to its
    value when it has one non-null value and to a list otherwise. It returns
    None when the event needs the general walk (objects inside arrays, dotted
    keys, non-JSON values).
    """

    __slots__ = ("_children", "_fast", "paths")

    def __init__(self, paths: Iterable[str]) -> None:
        self.paths = frozenset(paths)
        self._children: dict[str | None, dict[str, _Node]] = {}
        for path in self.paths:
            self._add(path)
        self._fast: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None

    @property
    def fast(self) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
        """The generated reader, compiled on first use."""
        if self._fast is None:
            self._fast = _generate(self._children)
        return self._fast

    def _add(self, path: str) -> None:
        cuts = [i for i, char in enumerate(path) if char == "."] + [len(path)]
        starts: list[tuple[str | None, int]] = [(None, 0)] + [(path[:c], c + 1) for c in cuts[:-1]]
        for prefix, start in starts:
            children = self._children.setdefault(prefix, {})
            for cut in cuts:
                if cut < start:
                    continue
                node = children.get(path[start:cut])
                if node is None:
                    node = children[path[start:cut]] = _Node(path[:cut])
                if cut == len(path):
                    node.leaf = True
                else:
                    node.inner = True


class Flat:
    """An event's leaves by dotted path: values, and array memberships where any."""

    __slots__ = ("arrays", "linked", "members", "values")

    def __init__(self) -> None:
        self.values: dict[str, list[Any]] = {}
        self.members: dict[str, list[Membership]] = {}
        self.arrays = 0
        self.linked = False
        """True when objects inside arrays hold leaves, so array consistency can matter."""


def flatten(event: dict[str, Any], paths: PathSet) -> Flat:
    """The leaves of `event` at the paths in `paths`."""
    if not isinstance(event, dict):
        raise TypeError(f"an event must be a dict (a JSON object), got {type(event).__name__}")
    flat = Flat()
    if type(event) is dict:
        values = paths.fast(event)
        if values is not None:
            flat.values = {p: v if type(v) is list else [v] for p, v in values.items()}
            return flat
    _walk(event, None, (), paths._children, flat, 1)
    return flat


def _walk(
    obj: dict[str, Any],
    prefix: str | None,
    membership: Membership,
    children: dict[str | None, dict[str, _Node]],
    flat: Flat,
    depth: int,
) -> None:
    nodes = children.get(prefix)
    if not nodes:
        return
    if depth > MAX_DEPTH:
        raise ValueError(f"event nests deeper than {MAX_DEPTH} levels along a pattern's path")
    if len(obj) < len(nodes):
        for key, value in obj.items():
            node = nodes.get(key)
            if node is not None:
                _value(value, node, membership, children, flat, depth)
    else:
        for key, node in nodes.items():
            value = obj.get(key, _MISSING)
            if value is not _MISSING:
                _value(value, node, membership, children, flat, depth)


def _value(
    value: Any,
    node: _Node,
    membership: Membership,
    children: dict[str | None, dict[str, _Node]],
    flat: Flat,
    depth: int,
) -> None:
    kind = type(value)
    if kind is dict:
        if node.inner:
            if membership:
                flat.linked = True
            _walk(value, node.path, membership, children, flat, depth + 1)
    elif kind is list or kind is tuple:
        if depth > MAX_DEPTH:
            raise ValueError(f"event nests deeper than {MAX_DEPTH} levels along a pattern's path")
        array = flat.arrays
        flat.arrays += 1
        for index, element in enumerate(value):
            _value(element, node, (*membership, (array, index)), children, flat, depth + 1)
    elif node.leaf:
        if kind not in _LEAF_TYPES:
            raise TypeError(f"event field {node.path!r} holds a {kind.__name__}, not a JSON value")
        path = node.path
        values = flat.values.get(path)
        if values is None:
            flat.values[path] = [value]
        else:
            values.append(value)
        if membership:
            members = flat.members.setdefault(path, [])
            members.extend([()] * (len(flat.values[path]) - 1 - len(members)))
            members.append(membership)


_FAST_DEPTH = 24
"""Deepest path the generated reader handles; deeper paths take the general walk."""


def _generate(
    children: dict[str | None, dict[str, _Node]],
) -> Callable[[dict[str, Any]], dict[str, list[Any]] | None]:
    """Compile a reader of these paths: one `dict.get` per key, no loops, no calls."""
    namespace: dict[str, Any] = {"_LEAF": _LEAF_TYPES, "_SCALARS": _SCALARS}
    lines = ["def fast(o0):", " V = {}"]
    if any(path.count(".") >= _FAST_DEPTH for path in _paths(children)):
        return lambda event: None
    _emit(children, None, 0, lines, namespace)
    lines.append(" return V")
    exec("\n".join(lines), namespace)  # the source holds only repr()-quoted keys
    return namespace["fast"]  # type: ignore[no-any-return]


def _paths(children: dict[str | None, dict[str, _Node]]) -> set[str]:
    return {node.path for nodes in children.values() for node in nodes.values() if node.leaf}


def _emit(
    children: dict[str | None, dict[str, _Node]],
    prefix: str | None,
    depth: int,
    lines: list[str],
    namespace: dict[str, Any],
) -> None:
    pad = " " * (depth * 2 + 1)
    nodes = children.get(prefix, {})
    compound = frozenset(key for key in nodes if "." in key)
    if compound:
        name = f"_C{len(namespace)}"
        namespace[name] = compound
        lines.append(f"{pad}if not {name}.isdisjoint(o{depth}): return None")
    obj, value, kind = f"o{depth}", f"o{depth + 1}", f"t{depth}"
    for key in sorted(k for k in nodes if "." not in k):
        node = nodes[key]
        if node.leaf:
            # The path is a name bound to the interned string, not a literal: a walk
            # that looks it up with the same object skips comparing the characters.
            name = f"_P{len(namespace)}"
            namespace[name] = sys.intern(node.path)
            store = f"V[{name}] = "
        else:
            store = "pass  # "
        lines.append(f"{pad}if {key!r} in {obj}:")
        lines.append(f"{pad} {value} = {obj}[{key!r}]")
        lines.append(f"{pad} {kind} = type({value})")
        if node.inner:  # objects first: they are what an inner node mostly holds
            lines.append(f"{pad} if {kind} is dict:")
            _emit(children, node.path, depth + 1, lines, namespace)
        if not node.leaf:
            lines.append(f"{pad} elif {kind} is list and not _LEAF.issuperset(map(type, {value})):")
            lines.append(f"{pad}  return None")
            continue
        test = "elif" if node.inner else "if"
        lines.append(f"{pad} {test} {kind} is str or {kind} in _SCALARS: {store}{value}")
        lines.append(f"{pad} elif {value} is None: {store}[None]")
        lines.append(f"{pad} elif {kind} is list and _LEAF.issuperset(map(type, {value})):")
        lines.append(f"{pad}  if {value}: {store}{value}")
        lines.append(f"{pad} elif {kind} is not dict: return None")
