"""`RuleSet`: many named patterns compiled into one automaton, as event-ruler does.

Each branch of each rule is a chain of field tests; chains share their
common beginnings, so rules that start with the same tests share one state.
A state indexes the tests leaving it by path (`index.PathMatcher`), and an
event, flattened once, walks only the states its values reach: matching
costs grow with the tests an event passes, not with the number of rules.
Tests are ordered selective-first (exact values, then prefixes and other
indexed tests, then ranges, then `anything-but`, `exists` and the rest), and
within a kind by the paths and tests most rules share, so the rules of one
source and one merchant hang below a single state. A bulk load (edits
amounting to a quarter of the rules) rebuilds the automaton in one go.

When objects inside arrays hold an event's values, the walk treats
`exists: false` optimistically and each rule it reaches is confirmed by its
own `Pattern`, which applies event-ruler's array consistency exactly.

>>> rules = RuleSet()
>>> rules.add("card", {"detail": {"method": ["card"]}})
>>> rules.add("large", {"detail": {"amount": [{"numeric": [">", 1000]}]}})
>>> rules.matches({"detail": {"method": "card", "amount": 5000}})
['card', 'large']
>>> rules.remove("card")
>>> len(rules)
1
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterator
from typing import Any

from vigila.rules.branch import FieldTest, utf16_order
from vigila.rules.envelope import Envelope
from vigila.rules.flatten import Flat, PathSet, flatten
from vigila.rules.index import One, PathMatcher, many
from vigila.rules.matchers import (
    Cidr,
    EqualsIgnoreCase,
    ExactIp,
    ExactLiteral,
    ExactNumber,
    ExactString,
    Matcher,
    Numeric,
    Prefix,
    PrefixIgnoreCase,
    Suffix,
    SuffixIgnoreCase,
    Wildcard,
)
from vigila.rules.pattern import Pattern

Edge = tuple[str, "dict[Any, tuple[_State, ...]] | None", One]
"""A path, the dict of its exact values when that is all its tests are, and its `one`."""


class _State:
    """A point in the automaton: the tests passed so far, shared by the rules that need them.

    The walk reads `names` (rules that end here), the first edge (`path`,
    `exact`, `one`), the `more` edges and the `absent` ones; adding and
    removing rules edit `children`, `matchers` and `gone`, made on first use.
    """

    # What the walk reads comes first: slots lie in this order, in one cache line.
    __slots__ = (  # noqa: RUF023
        "names", "path", "exact", "one", "more", "absent", "children", "matchers", "gone", "refs"
    )  # fmt: skip

    def __init__(self) -> None:
        self.children: dict[Hashable, _State] | None = None
        self.matchers: dict[str, PathMatcher] | None = None
        self.gone: dict[str, list[_State]] | None = None
        self.path: str | None = None
        self.exact: dict[Any, tuple[_State, ...]] | None = None
        self.one: One | None = None
        self.more: tuple[Edge, ...] = ()
        self.absent: tuple[tuple[str, tuple[_State, ...]], ...] = ()
        self.names: tuple[int, ...] | None = None
        self.refs = 0

    @property
    def edges(self) -> tuple[Edge, ...]:
        """Every (path, exact dict or None, one) leaving this state."""
        if self.path is None:
            return ()
        return ((self.path, self.exact, self.one), *self.more)  # type: ignore[return-value]

    def refresh(self) -> None:
        """Recompile changed path matchers and snapshot what the walk reads.

        Most states have one edge, kept in slots of the state itself so the
        walk touches one object per state rather than three.
        """
        matchers = self.matchers or {}
        for matcher in matchers.values():
            if matcher.stale:
                matcher.compile()
        edges = [(path, m.exact, m.one) for path, m in matchers.items()]
        self.path, self.exact, self.one = edges[0] if edges else (None, None, None)
        self.more = tuple(edges[1:])
        self.absent = tuple((path, tuple(states)) for path, states in (self.gone or {}).items())


class _Trail:
    """Where one branch of a rule lies in the automaton: its tests, in order, and their states."""

    __slots__ = ("states", "tests")

    def __init__(self, tests: tuple[FieldTest, ...], states: tuple[_State, ...]) -> None:
        self.tests = tests
        self.states = states


class _Rule:
    __slots__ = ("id", "pattern", "trails")

    def __init__(self, rule_id: int, pattern: Pattern, trails: list[_Trail]) -> None:
        self.id = rule_id
        self.pattern = pattern
        self.trails = trails


def _matcher_rank(matcher: Matcher) -> int:
    if isinstance(matcher, ExactString | ExactNumber | ExactLiteral | ExactIp):
        return 0
    if isinstance(matcher, Numeric):
        return 0 if matcher.key[0] == "=" else 2
    if isinstance(matcher, Wildcard):
        return 0 if matcher.literal is not None else 2
    if isinstance(matcher, Prefix | Suffix | EqualsIgnoreCase | PrefixIgnoreCase):
        return 1
    if isinstance(matcher, SuffixIgnoreCase | Cidr):
        return 1
    return 3


def _rank(test: FieldTest) -> int:
    return 3 if test.absent else max(_matcher_rank(m) for m in test.matchers)


class RuleSet:
    """Named event patterns; `matches(event)` names every rule the event matches."""

    def __init__(self) -> None:
        self._root = _State()
        self._rules: dict[str, _Rule] = {}
        self._names: dict[int, str] = {}
        self._patterns: dict[int, Pattern] = {}
        self._next_id = 0
        self._path_uses: Counter[str] = Counter()
        self._test_uses: Counter[Hashable] = Counter()
        self._paths: PathSet | None = None
        self._read: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None
        self._envelope: Envelope | None = None
        self._changed: set[_State] = set()
        self._edits = 0
        self._rebuild = False

    def add(self, name: str, pattern: Pattern | dict[str, Any] | str) -> None:
        """Add a rule; a pattern EventBridge refuses raises `PatternError`."""
        if name in self._rules:
            raise ValueError(f"rule {name!r} already exists; remove it first")
        compiled = pattern if isinstance(pattern, Pattern) else Pattern(pattern)
        rule = _Rule(self._next_id, compiled, [])
        self._next_id += 1
        for branch in compiled.branches:
            self._path_uses.update(branch.paths)
            self._test_uses.update(test.key for test in branch.tests)
        self._rules[name] = rule
        self._names[rule.id] = name
        self._patterns[rule.id] = compiled
        if not self._edited():
            rule.trails = [self._insert(self._ordered(b.tests), rule.id) for b in compiled.branches]

    def remove(self, name: str) -> None:
        """Remove a rule; an unknown name raises KeyError."""
        rule = self._rules.pop(name)
        del self._names[rule.id]
        del self._patterns[rule.id]
        for branch in rule.pattern.branches:
            self._path_uses.subtract(branch.paths)
            self._test_uses.subtract(test.key for test in branch.tests)
        self._path_uses += Counter()  # drops what no rule uses any more
        self._test_uses += Counter()
        if not self._edited():
            for trail in rule.trails:
                self._erase(trail, rule.id)

    def _edited(self) -> bool:
        """Count an edit; True when the automaton is to be rebuilt rather than edited.

        Tests are ordered by how many rules use them, so an automaton built in one
        go from all rules shares the most. After as many edits as a quarter of the
        rules (a bulk load, for instance), the next match rebuilds it.
        """
        self._read = None
        self._envelope = None
        self._edits += 1
        if self._edits > max(64, len(self._rules) // 4):
            self._rebuild = True
        return self._rebuild

    def __len__(self) -> int:
        return len(self._rules)

    def __contains__(self, name: object) -> bool:
        return name in self._rules

    def __iter__(self) -> Iterator[str]:
        return iter(self._rules)

    def pattern(self, name: str) -> Pattern:
        """The pattern of a rule."""
        return self._rules[name].pattern

    def _ordered(self, tests: tuple[FieldTest, ...]) -> tuple[FieldTest, ...]:
        """Selective kinds of test first; within a kind, the paths and tests most rules share."""
        paths, uses = self._path_uses, self._test_uses
        return tuple(
            sorted(
                tests, key=lambda t: (_rank(t), -paths[t.path], -uses[t.key], utf16_order(t.path))
            )
        )

    def _insert(self, tests: tuple[FieldTest, ...], rule_id: int) -> _Trail:
        state = self._root
        states = []
        for test in tests:
            children = state.children
            if children is None:
                children = state.children = {}
            child = children.get(test.key)
            if child is None:
                child = children[test.key] = _State()
                if test.matchers:
                    if state.matchers is None:
                        state.matchers = {}
                    state.matchers.setdefault(test.path, PathMatcher()).add(test, child)
                if test.absent:
                    if state.gone is None:
                        state.gone = {}
                    state.gone.setdefault(test.path, []).append(child)
                self._changed.add(state)
            child.refs += 1
            states.append(child)
            state = child
        state.names = (*(state.names or ()), rule_id)
        return _Trail(tests, tuple(states))

    def _erase(self, trail: _Trail, rule_id: int) -> None:
        end = trail.states[-1] if trail.states else self._root
        end.names = tuple(i for i in end.names or () if i != rule_id) or None
        parents = (self._root, *trail.states[:-1])
        for state, test, child in reversed(
            list(zip(parents, trail.tests, trail.states, strict=True))
        ):
            child.refs -= 1
            if child.refs:
                continue
            assert state.children is not None
            del state.children[test.key]
            if test.matchers:
                assert state.matchers is not None
                matcher = state.matchers[test.path]
                matcher.remove(test)
                if not matcher:
                    del state.matchers[test.path]
            if test.absent:
                assert state.gone is not None
                state.gone[test.path].remove(child)
                if not state.gone[test.path]:
                    del state.gone[test.path]
            self._changed.add(state)

    def _prepare(self) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
        """Bring the automaton up to date; the reader of the paths the rules name."""
        if self._rebuild:
            self._build()
        if self._changed:
            for state in self._changed:
                state.refresh()
            self._changed.clear()
        self._paths = PathSet(self._path_uses)
        self._read = self._paths.fast
        return self._read

    def _build(self) -> None:
        """Build the automaton from all rules in one go.

        Rules are inserted grouped by their ordered tests and states compiled
        depth-first, so a subtree's objects lie together in memory: a walk
        into one merchant's rules then touches few cache lines.
        """
        chains = []
        for rule in self._rules.values():
            for index, branch in enumerate(rule.pattern.branches):
                tests = self._ordered(branch.tests)
                order = [(utf16_order(t.path), repr(t.key)) for t in tests]
                chains.append((order, rule.id, index, tests, rule))
        chains.sort(key=lambda chain: chain[:3])
        self._root = _State()
        for rule in self._rules.values():
            rule.trails = [None] * len(rule.pattern.branches)  # type: ignore[list-item]
        for _, rule_id, index, tests, rule in chains:
            rule.trails[index] = self._insert(tests, rule_id)
        stack = [self._root]
        while stack:
            state = stack.pop()
            state.refresh()
            stack.extend(reversed(list((state.children or {}).values())))
        self._changed.clear()
        self._rebuild = False
        self._edits = 0

    def matches(self, event: dict[str, Any]) -> list[str]:
        """The names of all rules the event matches, in the order they were added."""
        read = self._read or self._prepare()
        values = read(event) if type(event) is dict else None
        if values is None:
            flat = flatten(event, self._paths)  # type: ignore[arg-type]
            if flat.linked:
                return self._named(self._confirmed(flat))
            values = flat.values
        found: list[int] = []
        stack = [self._root]
        pop = stack.pop
        extend = stack.extend
        get = values.get
        while stack:
            state = pop()
            if state.names:
                found += state.names
            path = state.path
            if path is not None:
                # The first edge is read from the state's slots, the rest from `more`;
                # the two blocks are alike on purpose: this is the hottest loop.
                at = get(path)
                if at is not None:
                    exact = state.exact
                    if exact is not None and type(at) is not list:
                        reached = exact.get(at)
                    elif type(at) is list:
                        reached = many(state.one, at)  # type: ignore[arg-type]
                    else:
                        reached = state.one(at)  # type: ignore[misc]
                    if reached:
                        extend(reached)
                for path, exact, one in state.more or ():
                    at = get(path)
                    if at is not None:
                        if exact is not None and type(at) is not list:
                            reached = exact.get(at)
                        elif type(at) is list:
                            reached = many(one, at)
                        else:
                            reached = one(at)
                        if reached:
                            extend(reached)
            if state.absent:
                for path, reached in state.absent:
                    if path not in values:
                        extend(reached)
        return self._named(found) if found else []

    def may_match(self, source: str, detail_type: str) -> bool:
        """False only when no rule can match an event with this `source` and `detail-type`.

        Judged from the rules' tests on those two fields alone, whatever else the
        event holds, and remembered per pair until the rules change.

        >>> rules = RuleSet()
        >>> rules.add("fabric", {"source": ["vigila.fabric"], "detail": {"state": ["DOWN"]}})
        >>> rules.may_match("vigila.fabric", "Port Counters"), rules.may_match("app", "Order")
        (True, False)
        """
        envelope = self._envelope
        if envelope is None:
            envelope = self._envelope = Envelope(self._patterns.values())
        return envelope.may_match(source, detail_type)

    def _named(self, found: list[int]) -> list[str]:
        if not found:
            return []
        names = self._names
        if len(found) == 1:
            return [names[found[0]]]
        return [names[i] for i in sorted(set(found))]

    def _confirmed(self, flat: Flat) -> list[int]:
        """Rules an event with objects inside arrays matches, array consistency included."""
        found: list[int] = []
        seen: set[int] = set()
        stack = [self._root]
        while stack:  # every test on its own, taking each `exists: false` as passed
            state = stack.pop()
            if id(state) in seen:
                continue
            seen.add(id(state))
            found += state.names or ()
            for path, _, one in state.edges:
                at = flat.values.get(path)
                if at is not None:
                    stack += many(one, at)
            for _, reached in state.absent:
                stack += reached
        return [i for i in set(found) if self._patterns[i].matches_flat(flat)]
