"""Benchmark: events/s matched by a RuleSet of 1, 100, 1,000 and 10,000 rules.

Rules are a realistic routing mix over payment, fabric and insight events:
a few broad routes, then per-merchant and per-switch routes with numeric
thresholds, country and decline-code exclusions (`anything-but`), CIDR
blocks, MCC prefixes, e-mail domain suffixes ignoring case, wildcard switch
names, `exists` checks and `$or`. The N-rule set is the first N rules.
Events (60% payments, 25% fabric, 15% insights) draw merchants and switches
with Zipf-like popularity, as real traffic does. A last figure routes a
batch of 1,000 payment events (decoded dicts of about 500 bytes of JSON)
through a `Router` of the first 1,000 rules with `Router.route_many`, each
rule to a store target, outbox entries and payloads included. Each pass is
warmed up once, then the passes are timed in turns (each timed pass after an
untimed one), in CPU seconds of the matching thread on one core, and the best
pass of each counts; the script prints one JSON line.

    python bench/rules.py [--seconds 2.0]
"""

from __future__ import annotations

import argparse
import bisect
import gc
import itertools
import json
import platform
import random
import time
from collections.abc import Callable
from typing import Any

from vigila.routing.model import Rule, StoreTarget
from vigila.routing.router import Router
from vigila.rules import RuleSet

SIZES = (1, 100, 1_000, 10_000)
BATCH = 1_000
"""Payment events in the routed batch."""
BATCH_RULES = 1_000
"""Rules of the router the batch goes through: the first of the 10,000."""
NOW_MS = 1_748_779_200_000
MERCHANTS = 4_000
SWITCHES = 600
COUNTRIES = ["US", "DE", "FR", "GB", "NL", "BR", "IN", "JP", "NG", "RU", "ES", "IT"]
CURRENCIES = ["USD", "EUR", "GBP", "BRL", "INR", "JPY"]
DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "mail.ru", "corp.example", "web.de"]
TYPES = ["Payment Authorized", "Payment Declined", "Refund Issued", "Chargeback Opened"]
FABRIC_TYPES = ["Port Counters", "Link Down", "Symbol Errors"]
PACKS = ["payments", "fabric", "gpu", "engagement"]

BROAD_RULES: list[dict[str, Any]] = [
    {"source": ["vigila.payments"], "detail": {"amount": [{"numeric": [">=", 9_900]}]}},
    {"source": ["vigila.insights"], "detail": {"risk_score": [{"numeric": [">=", 80]}]}},
    {"detail-type": ["Chargeback Opened"]},
    {"source": ["vigila.fabric"], "detail-type": ["Link Down"]},
    {"source": ["vigila.insights"], "detail": {"severity": ["critical"]}},
]


def _merchant(rng: random.Random) -> str:
    return f"m-{rng.randrange(MERCHANTS):05d}"


def _switch(rng: random.Random) -> str:
    return f"leaf-{rng.randrange(SWITCHES):04d}"


class Popularity:
    """Draws 0..n-1 with Zipf-like weights 1/k**s over a shuffled order."""

    def __init__(self, n: int, s: float, rng: random.Random) -> None:
        self._cumulative = list(itertools.accumulate(1 / k**s for k in range(1, n + 1)))
        self._order = list(range(n))
        rng.shuffle(self._order)

    def draw(self, rng: random.Random) -> int:
        point = rng.random() * self._cumulative[-1]
        return self._order[bisect.bisect_left(self._cumulative, point)]


def make_rule(rng: random.Random) -> dict[str, Any]:
    """One per-entity route, drawn from the operator mix."""
    kind = rng.choices(
        ["threshold", "not-country", "cidr", "mcc", "domain", "chargeback", "no-3ds",
         "switch-errors", "switch-or", "switch-wildcard", "insight", "declines"],
        weights=[20, 10, 6, 8, 5, 4, 4, 16, 8, 2, 10, 7],
    )[0]  # fmt: skip
    payments = {"source": ["vigila.payments"]}
    if kind == "threshold":
        return {
            **payments,
            "detail-type": ["Payment Authorized"],
            "detail": {
                "merchant": {"id": [_merchant(rng)]},
                "amount": [{"numeric": [">=", rng.choice([100, 500, 1_000, 5_000])]}],
            },
        }
    if kind == "not-country":
        return {
            **payments,
            "detail": {
                "merchant": {"id": [_merchant(rng)]},
                "card": {"country": [{"anything-but": rng.sample(COUNTRIES, 2)}]},
            },
        }
    if kind == "cidr":
        return {
            **payments,
            "detail": {
                "customer": {"ip": [{"cidr": f"10.{rng.randrange(64)}.{rng.randrange(256)}.0/24"}]}
            },
        }
    if kind == "mcc":
        return {
            **payments,
            "detail": {
                "merchant": {"mcc": [{"prefix": f"{rng.randrange(10, 100)}"}]},
                "currency": [rng.choice(CURRENCIES)],
                "amount": [{"numeric": [">", rng.randrange(1_000, 10_000)]}],
            },
        }
    if kind == "domain":
        return {
            **payments,
            "detail": {
                "merchant": {"id": [_merchant(rng)]},
                "customer": {
                    "email_domain": [{"suffix": {"equals-ignore-case": rng.choice(DOMAINS)}}]
                },
            },
        }
    if kind == "chargeback":
        return {
            **payments,
            "detail": {
                "merchant": {"id": [_merchant(rng)]},
                "chargeback": {"reason": [{"exists": True}]},
            },
        }
    if kind == "no-3ds":
        return {
            **payments,
            "detail-type": ["Payment Authorized"],
            "detail": {"merchant": {"id": [_merchant(rng)]}, "three_ds": [{"exists": False}]},
        }
    if kind == "switch-errors":
        return {
            "source": ["vigila.fabric"],
            "detail": {
                "switch": [_switch(rng)],
                "symbol_errors": [{"numeric": [">", rng.choice([0, 10, 100, 1_000])]}],
            },
        }
    if kind == "switch-or":
        return {
            "source": ["vigila.fabric"],
            "detail": {
                "switch": [_switch(rng)],
                "$or": [
                    {"link_downed": [{"numeric": [">", 0]}]},
                    {"state": ["DOWN", "POLLING"]},
                ],
            },
        }
    if kind == "switch-wildcard":
        return {
            "source": ["vigila.fabric"],
            "detail": {
                "switch": [{"wildcard": f"leaf-{rng.randrange(60):03d}*"}],
                "state": ["DOWN"],
            },
        }
    if kind == "insight":
        return {
            "source": ["vigila.insights"],
            "detail": {
                "pack": [rng.choice(PACKS)],
                "entity": [rng.choice([_merchant(rng), _switch(rng)])],
                "risk_score": [{"numeric": [">=", rng.choice([50, 70, 90])]}],
            },
        }
    return {
        **payments,
        "detail-type": ["Payment Declined"],
        "detail": {
            "merchant": {"id": [_merchant(rng)]},
            "decline_code": [{"anything-but": {"prefix": "soft_"}}],
        },
    }


def make_rules(count: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rules = list(BROAD_RULES)
    while len(rules) < count:
        rules.append(make_rule(rng))
    return rules[:count]


def make_event(rng: random.Random, merchants: Popularity, switches: Popularity) -> dict[str, Any]:
    """A payment (60%), fabric (25%) or insight (15%) event."""
    merchant = f"m-{merchants.draw(rng):05d}"
    switch = f"leaf-{switches.draw(rng):04d}"
    header = {
        "version": "0",
        "id": f"{rng.getrandbits(64):016x}",
        "time": "2025-06-01T12:00:00Z",
        "region": "eu-west-1",
        "account": "123456789012",
    }
    roll = rng.random()
    if roll < 0.6:
        detail: dict[str, Any] = {
            "payment_id": f"pay_{rng.getrandbits(48):012x}",
            "amount": round(rng.lognormvariate(4.5, 1.3), 2),
            "currency": rng.choice(CURRENCIES),
            "method": rng.choice(["card", "sepa", "wallet"]),
            "status": rng.choice(["authorized", "captured", "declined"]),
            "card": {
                "network": rng.choice(["visa", "mastercard", "amex"]),
                "country": rng.choice(COUNTRIES),
            },
            "merchant": {"id": merchant, "mcc": f"{rng.randrange(1000, 10000)}", "country": "DE"},
            "customer": {
                "id": f"c-{rng.randrange(100_000)}",
                "ip": f"10.{rng.randrange(64)}.{rng.randrange(256)}.{rng.randrange(256)}",
                "email_domain": rng.choice(DOMAINS).upper()
                if rng.random() < 0.1
                else rng.choice(DOMAINS),
            },
            "risk_score": rng.randrange(100),
        }
        kind = rng.choices(TYPES, weights=[70, 20, 7, 3])[0]
        if rng.random() < 0.7:
            detail["three_ds"] = True
        if kind == "Chargeback Opened":
            detail["chargeback"] = {"reason": "fraud"}
        if kind == "Payment Declined":
            detail["decline_code"] = rng.choice(["soft_insufficient", "hard_stolen", "soft_retry"])
        return {**header, "source": "vigila.payments", "detail-type": kind, "detail": detail}
    if roll < 0.85:
        detail = {
            "switch": switch,
            "port": rng.randrange(1, 65),
            "guid": f"0x{rng.getrandbits(64):016x}",
            "rate_gbps": 400,
            "symbol_errors": int(rng.expovariate(0.01)),
            "link_downed": rng.choice([0, 0, 0, 0, 1]),
            "rcv_errors": rng.randrange(5),
            "temperature_c": round(rng.uniform(35, 80), 1),
            "state": rng.choices(["ACTIVE", "DOWN", "POLLING"], weights=[90, 7, 3])[0],
        }
        return {
            **header,
            "source": "vigila.fabric",
            "detail-type": rng.choice(FABRIC_TYPES),
            "detail": detail,
        }
    detail = {
        "pack": rng.choice(PACKS),
        "entity": rng.choice([merchant, switch]),
        "severity": rng.choice(["low", "medium", "high", "critical"]),
        "risk_score": rng.randrange(100),
        "source_model": rng.choice(["deterministic", "llm"]),
        "tags": rng.sample(["fraud", "velocity", "fabric", "thermal", "drift"], 2),
    }
    return {
        **header,
        "source": "vigila.insights",
        "detail-type": "Insight Created",
        "detail": detail,
    }


def make_events(count: int = 2_000, seed: int = 11) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    merchants = Popularity(MERCHANTS, 1.1, rng)
    switches = Popularity(SWITCHES, 1.1, rng)
    return [make_event(rng, merchants, switches) for _ in range(count)]


def matching(rules: RuleSet, events: list[dict[str, Any]]) -> Callable[[], object]:
    """One pass of `rules.matches` over the events."""
    matches = rules.matches

    def run() -> None:
        for event in events:
            matches(event)

    return run


def routing(router: Router, batch: list[dict[str, Any]]) -> Callable[[], object]:
    """One `Router.route_many` call over the batch."""
    return lambda: router.route_many(batch, NOW_MS)


def measure(passes: dict[str, Callable[[], object]], seconds: float) -> dict[str, float]:
    """CPU seconds of one pass of each: the best of passes taken in turns."""
    for run in passes.values():
        run()  # warm-up: compiles the index
    gc.collect()
    best = dict.fromkeys(passes, float("inf"))
    spent = 0.0
    while spent < seconds * len(passes):
        for name, run in passes.items():  # in turns, so a noisy moment hits every pass alike
            run()  # an untimed pass first: the caches hold this pass's data, not the last's
            start = time.thread_time()
            run()
            elapsed = time.thread_time() - start
            best[name] = min(best[name], elapsed)
            spent += elapsed
    return best


def compact(event: dict[str, Any]) -> str:
    """The event as JSON without spaces, as it travels."""
    return json.dumps(event, separators=(",", ":"))


def make_router(patterns: list[dict[str, Any]]) -> Router:
    """A router of these patterns, each to a store target (its payload: the whole event)."""
    target = StoreTarget(collection="bench")
    return Router(
        Rule(name=f"rule-{i}", pattern=p, targets=[target]) for i, p in enumerate(patterns)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="CPU time per rule count")
    args = parser.parse_args()
    events = make_events()
    all_rules = make_rules(max(SIZES))
    sets = {}
    for size in SIZES:
        sets[size] = RuleSet()
        for index, pattern in enumerate(all_rules[:size]):
            sets[size].add(f"rule-{index}", pattern)
    batch = [e for e in make_events(BATCH * 2, seed=13) if e["source"] == "vigila.payments"]
    batch = batch[:BATCH]
    router = make_router(all_rules[:BATCH_RULES])
    passes = {str(size): matching(rules, events) for size, rules in sets.items()}
    passes["batch"] = routing(router, batch)
    best = measure(passes, args.seconds)
    throughput = {str(size): round(len(events) / best[str(size)]) for size in SIZES}
    matched = {
        str(size): round(sum(len(rules.matches(e)) for e in events) / len(events), 2)
        for size, rules in sets.items()
    }
    line = {
        "bench": "rules",
        "events_per_s": throughput,
        "ratio_10000_to_1": round(throughput["10000"] / throughput["1"], 3),
        "matches_per_event": matched,
        "route_many_events_per_s": {str(BATCH_RULES): round(len(batch) / best["batch"])},
        "route_many_batch": {
            "events": len(batch),
            "bytes_per_event": round(sum(map(len, map(compact, batch))) / len(batch)),
            "entries_per_event": round(len(router.route_many(batch, NOW_MS)) / len(batch), 2),
        },
        "python": platform.python_version(),
    }
    print(json.dumps(line))


if __name__ == "__main__":
    main()
