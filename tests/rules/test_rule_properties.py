"""Properties: a RuleSet names exactly the rules whose patterns match, alone.

Random rule sets use every operator over a small vocabulary of paths and
values, so events often hit and often miss; events mix scalars, arrays,
arrays of objects (array consistency), nulls and dotted keys.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vigila.rules import Pattern, RuleSet

PATHS = ["a", "b", "c.d", "c.e", "arr.x", "arr.y"]
STRINGS = ["", "a", "ab", "abc", "AB", "b", "ba", "x*y", "ß", "SS", "10.0.0.1", "::1"]
ADDRESSES = st.builds(
    "10.{}.{}.{}".format, st.integers(0, 2), st.integers(0, 3), st.integers(0, 255)
)
comparable = st.one_of(
    st.integers(-3, 12), st.sampled_from([1.5, 2.25, -0.5, 5e3, 4999999999.5, 0.000001])
)
LEAVES = st.one_of(
    st.sampled_from([*STRINGS, 1e10, 0.1234567, 5_000_000_001, True, False, None]),
    comparable,
    ADDRESSES,
)

texts = st.sampled_from(STRINGS)
nonempty = st.sampled_from([s for s in STRINGS if s])
wildcards = st.sampled_from(["*", "a*", "*b", "a*c", "", "ab", "x\\*y", "*.*"])


@st.composite
def numeric(
    draw: st.DrawFn, ops: tuple[str, ...] = ("=", ">", ">=", "<", "<=", "range")
) -> dict[str, Any]:
    op = draw(st.sampled_from(ops))
    if op != "range":
        return {"numeric": [op, draw(comparable)]}
    low, high = sorted(draw(st.lists(comparable, min_size=2, max_size=2, unique_by=float)))
    return {
        "numeric": [
            draw(st.sampled_from([">", ">="])),
            low,
            draw(st.sampled_from(["<", "<="])),
            high,
        ]
    }


anything_but = st.one_of(
    texts.map(lambda s: {"anything-but": s}),
    st.lists(texts, min_size=1, max_size=3).map(lambda v: {"anything-but": v}),
    comparable.map(lambda n: {"anything-but": n}),
    st.lists(comparable, min_size=1, max_size=3).map(lambda v: {"anything-but": v}),
    nonempty.map(lambda s: {"anything-but": {"prefix": s}}),
    st.lists(nonempty, min_size=1, max_size=2).map(lambda v: {"anything-but": {"suffix": v}}),
    texts.map(lambda s: {"anything-but": {"equals-ignore-case": s}}),
    wildcards.map(lambda w: {"anything-but": {"wildcard": w}}),
)

value = st.one_of(
    LEAVES,
    st.deferred(lambda: cidrs).map(lambda c: {"cidr": c}),
    texts.map(lambda s: {"prefix": s}),
    texts.map(lambda s: {"suffix": s}),
    texts.map(lambda s: {"equals-ignore-case": s}),
    texts.map(lambda s: {"prefix": {"equals-ignore-case": s}}),
    texts.map(lambda s: {"suffix": {"equals-ignore-case": s}}),
    wildcards.map(lambda w: {"wildcard": w}),
    st.booleans().map(lambda b: {"exists": b}),
    numeric(),
    anything_but,
)


def nest(fields: dict[str, list[Any]]) -> dict[str, Any]:
    """`{"c.d": v}` as `{"c": {"d": v}}`."""
    pattern: dict[str, Any] = {}
    for path, values in fields.items():
        *parents, leaf = path.split(".")
        node = pattern
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = values
    return pattern


fields = st.dictionaries(
    st.sampled_from(PATHS), st.lists(value, min_size=1, max_size=3), min_size=1, max_size=3
)


@st.composite
def patterns(draw: st.DrawFn) -> dict[str, Any]:
    pattern = nest(draw(fields))
    if draw(st.integers(0, 4)) == 0:
        alternatives = draw(st.lists(fields, min_size=2, max_size=3))
        pattern["$or"] = [nest(alternative) for alternative in alternatives]
    return pattern


leaf_or_list = st.one_of(LEAVES, st.lists(LEAVES, max_size=3))
inner = st.fixed_dictionaries({}, optional={"d": leaf_or_list, "e": leaf_or_list})
element = st.fixed_dictionaries({}, optional={"x": leaf_or_list, "y": leaf_or_list})

events = st.fixed_dictionaries(
    {},
    optional={
        "a": leaf_or_list,
        "b": leaf_or_list,
        "c": st.one_of(inner, st.lists(inner, max_size=3), LEAVES),
        "arr": st.one_of(
            st.lists(element, max_size=4),
            element,
            st.lists(st.lists(element, max_size=2), max_size=2),
        ),
        "c.d": LEAVES,
    },
)

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

cidrs = st.one_of(
    st.builds("10.{}.{}.0/24".format, st.integers(0, 2), st.integers(0, 3)),
    st.builds("10.0.0.{}/{}".format, st.sampled_from([0, 64, 128, 255]), st.integers(24, 31)),
    st.sampled_from(["10.0.0.0/16", "10.1.0.0/16", "0.0.0.0/0", "::/0"]),
)
KINDS: dict[str, tuple[st.SearchStrategy[Any], int]] = {
    # kind: (values, most values a rule lists); one value each keeps a path's index pure
    "exact": (LEAVES, 2),
    "numeric": (numeric(), 2),
    "ranges": (numeric((">", ">=", "<", "<=", "range")), 1),
    "upper": (numeric(("<", "<=")), 1),
    "lower": (numeric((">", ">=")), 1),
    "prefix": (texts.map(lambda s: {"prefix": s}), 1),
    "suffix": (texts.map(lambda s: {"suffix": s}), 1),
    "text": (
        st.one_of(texts, *(texts.map(lambda s, k=k: {k: s}) for k in ("prefix", "suffix"))),
        1,
    ),
    "cidr": (cidrs.map(lambda c: {"cidr": c}), 1),
    "anything-but": (anything_but, 2),
    "any": (value, 2),
}


def boundaries(rules: Any) -> list[Any]:
    """The values a family's rules name, and the values just around them."""
    found: list[Any] = []
    if isinstance(rules, dict):
        for item in rules.values():
            found += boundaries(item)
    elif isinstance(rules, list):
        for item in rules:
            found += boundaries(item)
    elif isinstance(rules, bool) or rules is None:
        found.append(rules)
    elif isinstance(rules, int | float):
        found += [rules, rules + 1, rules - 0.000001, rules + 0.000001]
    elif isinstance(rules, str):
        found += [rules, rules + "z", rules[:-1], rules.upper()]
        if "/" in rules:
            network = ipaddress.ip_network(rules, strict=False)
            first, last = int(network[0]), int(network[-1])
            top = 2**network.max_prefixlen - 1
            for address in {first, last, max(first - 1, 0), min(last + 1, top)}:
                kind = ipaddress.IPv4Address if network.version == 4 else ipaddress.IPv6Address
                found.append(str(kind(address)))
    return found


@st.composite
def families(draw: st.DrawFn) -> tuple[str, list[dict[str, Any]]]:
    """Many rules testing one path with one kind of operator, so the path is indexed."""
    path = draw(st.sampled_from(PATHS))
    kind, most = KINDS[draw(st.sampled_from(sorted(KINDS)))]
    shared = draw(st.one_of(st.none(), st.sampled_from(["a", "b"])))
    rules = []
    for _ in range(draw(st.integers(5, 16))):
        fields = {path: draw(st.lists(kind, min_size=1, max_size=most))}
        if shared and shared != path:
            fields[shared] = ["ab"]
        rules.append(nest(fields))
    return path, rules


def expected(rules: list[tuple[str, Pattern]], event: dict[str, Any]) -> list[str]:
    return [name for name, pattern in rules if pattern.matches(event)]


@SETTINGS
@given(st.lists(patterns(), min_size=1, max_size=8), st.lists(events, min_size=1, max_size=5))
def test_ruleset_names_exactly_the_matching_rules(
    sources: list[dict[str, Any]], batch: list[dict[str, Any]]
) -> None:
    compiled = [(f"r{i}", Pattern(source)) for i, source in enumerate(sources)]
    rules = RuleSet()
    for name, pattern in compiled:
        rules.add(name, pattern)
    for event in batch:
        assert rules.matches(event) == expected(compiled, event)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(families(), st.data())
def test_indexed_paths_agree(family: tuple[str, list[dict[str, Any]]], data: st.DataObject) -> None:
    path, sources = family
    compiled = [(f"r{i}", Pattern(source)) for i, source in enumerate(sources)]
    rules = RuleSet()
    for name, pattern in compiled:
        rules.add(name, pattern)
    near = st.sampled_from(boundaries(sources) or [None])
    leaf = st.one_of(near, near, st.lists(near, min_size=1, max_size=3), LEAVES)
    for _ in range(data.draw(st.integers(1, 8))):
        fields = {path: data.draw(leaf)}
        if data.draw(st.booleans()):
            fields["a" if path != "a" else "b"] = "ab"
        event = nest(fields)
        assert rules.matches(event) == expected(compiled, event)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(patterns(), min_size=70, max_size=90), st.lists(events, min_size=5, max_size=10))
def test_a_bulk_built_ruleset_agrees_too(
    sources: list[dict[str, Any]], batch: list[dict[str, Any]]
) -> None:
    compiled = [(f"r{i}", Pattern(source)) for i, source in enumerate(sources)]
    rules = RuleSet()
    for name, pattern in compiled:
        rules.add(name, pattern)
    for event in batch:
        assert rules.matches(event) == expected(compiled, event)


@SETTINGS
@given(
    st.lists(st.tuples(st.booleans(), st.integers(0, 9), patterns()), min_size=1, max_size=30),
    st.lists(events, min_size=1, max_size=4),
)
def test_adding_and_removing_keeps_the_index_exact(
    edits: list[tuple[bool, int, dict[str, Any]]], batch: list[dict[str, Any]]
) -> None:
    rules = RuleSet()
    live: dict[str, Pattern] = {}
    for add, slot, source in edits:
        name = f"r{slot}"
        if add and name not in live:
            live[name] = Pattern(source)
            rules.add(name, live[name])
        elif not add and name in live:
            del live[name]
            rules.remove(name)
        event = batch[slot % len(batch)]
        names = rules.matches(event)
        assert sorted(names) == sorted(n for n, p in live.items() if p.matches(event))
    assert len(rules) == len(live)


@SETTINGS
@given(patterns(), events)
def test_explain_is_none_exactly_when_the_pattern_matches(
    source: dict[str, Any], event: dict[str, Any]
) -> None:
    pattern = Pattern(source)
    reason = pattern.explain(event)
    assert (reason is None) is pattern.matches(event)
    if reason is not None:
        assert reason.strip()
