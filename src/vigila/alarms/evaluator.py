"""The alarm evaluator: metric alarms on rolled-up metrics, then composites, each `tick()`.

Each tick reads the clock once. A metric alarm looks at periods that ended at
least `late_data_delay` seconds ago: windows slide by the minute (by 10 seconds
for 10-, 20- and 30-second periods), as CloudWatch evaluates. An alarm is evaluated
only when its window slid, its series received data, or it was created,
updated or set by hand; a composite only when one of its children or its
suppressor changed state, a suppression period ran out, or it was created,
updated or set. Composites are evaluated in dependency order, so a change
ripples through nested composites within one tick.

>>> from vigila.clock import ManualClock
>>> from vigila.metrics import Datapoint, RollupAggregator
>>> clock = ManualClock(1_700_000_000.0)
>>> metrics = RollupAggregator(clock)
>>> alarms = AlarmEvaluator(clock, metrics)
>>> alarms.put_metric_alarm(MetricAlarm(
...     name="errors", namespace="Vigila/dev", metric_name="IngestRejected", statistic="Sum",
...     period=60, evaluation_periods=1, comparison_operator="GreaterThanThreshold",
...     threshold=10.0, alarm_actions=["oncall"],
... ))
>>> _ = metrics.add(Datapoint("Vigila/dev", "IngestRejected", {}, clock.now(), 25.0))
>>> clock.advance(60)
>>> [(e["detail"]["state"]["value"], e["actions"]) for e in alarms.tick()]
[('ALARM', ['oncall'])]
"""

from __future__ import annotations

import heapq
import itertools
import json
import math
from collections.abc import Iterable

from vigila.alarms.compare import breaches
from vigila.alarms.errors import AlarmCycleError, AlarmInUseError, AlarmValidationError
from vigila.alarms.events import (
    ACTIONS_RELEASED,
    STATE_CHANGE,
    alarm_arn,
    alarm_event,
    arn_prefix,
    state_dict,
)
from vigila.alarms.model import STATES, CompositeAlarm, MetricAlarm
from vigila.alarms.ports import BaselineProvider, MetricSource
from vigila.alarms.reason import INITIAL_REASON, composite_reason, metric_reason
from vigila.alarms.rule import parse_rule
from vigila.alarms.status import AlarmStatus, AlarmType, History, HistoryItem
from vigila.alarms.suppression import Suppression
from vigila.alarms.window import EXTRA_PERIODS, Point, evaluate
from vigila.clock import Clock
from vigila.metrics.aggregate import Aggregate
from vigila.metrics.datapoint import SeriesKey, series_key
from vigila.metrics.statistics import parse_statistic

MAX_PARENTS = 150
"""Composite alarms one alarm may be referenced by (CloudWatch's limit)."""


class _Alarm:
    """Runtime state common to both kinds of alarm."""

    __slots__ = (
        "arn",
        "definition",
        "history",
        "reason",
        "reason_data",
        "transitioned",
        "updated",
        "value",
    )
    alarm_type: AlarmType

    def __init__(self, arn: str, now: float, history_limit: int) -> None:
        self.arn = arn
        self.value = "INSUFFICIENT_DATA"
        self.reason = INITIAL_REASON
        self.reason_data: str | None = None
        self.updated = now
        self.transitioned = now
        self.history = History(history_limit)


class _Metric(_Alarm):
    __slots__ = ("key", "m", "periods", "range_periods", "stat", "step", "uses_band")
    alarm_type = "MetricAlarm"
    definition: MetricAlarm

    def configure(self, alarm: MetricAlarm) -> None:
        """Take `alarm` as the definition, with what evaluating it needs at hand."""
        self.definition = alarm
        self.key = series_key(alarm.namespace, alarm.metric_name, alarm.dimensions)
        self.stat = parse_statistic(alarm.statistic)
        self.step = 10 if alarm.period < 60 else 60  # how far windows slide
        self.m = alarm.m
        self.range_periods = alarm.evaluation_periods + EXTRA_PERIODS
        self.uses_band = alarm.uses_band
        self.periods: dict[int, Point | None] = {}  # the range's measured periods, oldest first

    def forget_since(self, since: float) -> None:
        """Drop what was measured of periods that end after `since` (new data there)."""
        period = self.definition.period
        while self.periods and next(reversed(self.periods)) + period > since:
            self.periods.popitem()


class _Composite(_Alarm):
    __slots__ = ("armed", "deps", "evaluated_at", "rule", "suppression", "suppressor")
    alarm_type = "CompositeAlarm"
    definition: CompositeAlarm

    def __init__(self, arn: str, now: float, history_limit: int) -> None:
        super().__init__(arn, now, history_limit)
        self.evaluated_at: float | None = None
        self.suppression: Suppression | None = None
        self.suppressor: str | None = None
        self.armed: float | None = None  # the suppression deadline already in the timers


class AlarmEvaluator:
    """Metric and composite alarms over a `MetricSource`, driven by an injected clock.

    `baseline` serves the anomaly detection band operators. `region` and
    `account` appear in alarm ARNs and event envelopes. `history_limit` caps the
    history kept per alarm.
    """

    def __init__(
        self,
        clock: Clock,
        metrics: MetricSource,
        *,
        baseline: BaselineProvider | None = None,
        late_data_delay: float = 0.0,
        region: str = "local",
        account: str = "000000000000",
        history_limit: int = 100,
    ) -> None:
        if not 0 <= late_data_delay < math.inf:
            raise AlarmValidationError("late_data_delay", late_data_delay, "finite seconds >= 0")
        self._clock = clock
        self._source = metrics
        self._baseline = baseline
        self._delay = late_data_delay
        self._region = region
        self._account = account
        self._arn_prefix = arn_prefix(region, account)
        self._history_limit = history_limit
        self._metrics: dict[str, _Metric] = {}
        self._composites: dict[str, _Composite] = {}
        self._by_series: dict[SeriesKey, set[str]] = {}
        self._by_step: dict[int, set[str]] = {}
        self._step_end: dict[int, int] = {}
        self._parents: dict[str, set[str]] = {}
        self._suppressed: dict[str, set[str]] = {}
        self._rank: dict[str, int] | None = None
        self._dirty_metrics: set[str] = set()
        self._dirty_composites: set[str] = set()
        self._timers: list[tuple[float, int, str]] = []
        self._seq = itertools.count()
        self._states = _States(self)

    # -- definitions ------------------------------------------------------------

    def put_metric_alarm(self, alarm: MetricAlarm) -> None:
        """Create or update a metric alarm; a new one starts in INSUFFICIENT_DATA."""
        name = alarm.name
        if name in self._composites:
            raise AlarmValidationError("name", name, "a name no composite alarm has")
        if alarm.uses_band and self._baseline is None:
            raise AlarmValidationError(
                "comparison_operator",
                alarm.comparison_operator,
                "a threshold operator (no baseline provider)",
            )
        rt = self._metrics.get(name)
        created = rt is None
        if rt is None:
            rt = self._metrics[name] = _Metric(
                self._arn(name), self._clock.now(), self._history_limit
            )
        else:
            self._by_series[rt.key].discard(name)
            self._by_step[rt.step].discard(name)
        rt.configure(alarm)
        self._record_configuration(rt, created)
        self._by_series.setdefault(rt.key, set()).add(name)
        self._by_step.setdefault(rt.step, set()).add(name)
        self._dirty_metrics.add(name)

    def put_composite_alarm(self, alarm: CompositeAlarm) -> None:
        """Create or update a composite alarm; its rule may only name existing alarms."""
        name = alarm.name
        if name in self._metrics:
            raise AlarmValidationError("name", name, "a name no metric alarm has")
        rule = parse_rule(alarm.rule).renamed(self._name_of)
        suppressor = (
            None if alarm.actions_suppressor is None else self._name_of(alarm.actions_suppressor)
        )
        for child in (*rule.children, *([suppressor] if suppressor else [])):
            if child == name:
                raise AlarmCycleError([name, name])
            if child not in self._metrics and child not in self._composites:
                field = "rule" if child in rule.children else "actions_suppressor"
                raise AlarmValidationError(field, child, "names or ARNs of existing alarms")
        for child in rule.children:
            if len(self._parents.get(child, set()) - {name}) >= MAX_PARENTS:
                raise AlarmValidationError(
                    "rule", child, f"alarms referenced by at most {MAX_PARENTS} composite alarms"
                )
        deps = {c for c in (*rule.children, suppressor) if c in self._composites}
        cycle = self._cycle_through(name, deps)
        if cycle:
            raise AlarmCycleError(cycle)
        rt = self._composites.get(name)
        created = rt is None
        if rt is None:
            rt = self._composites[name] = _Composite(
                self._arn(name), self._clock.now(), self._history_limit
            )
        else:
            self._unlink(rt)
        rt.definition, rt.rule, rt.deps = alarm, rule, deps
        self._record_configuration(rt, created)
        if suppressor != rt.suppressor or rt.suppression is None:
            # Replacing the suppressor discards running wait and extension periods.
            rt.suppression = (
                None
                if suppressor is None
                else Suppression(
                    alarm.actions_suppressor_wait_period or 0,
                    alarm.actions_suppressor_extension_period or 0,
                    self._alarm(suppressor).value == "ALARM",
                )
            )
        else:
            rt.suppression.wait = alarm.actions_suppressor_wait_period or 0
            rt.suppression.extension = alarm.actions_suppressor_extension_period or 0
        rt.suppressor = suppressor
        for child in rule.children:
            self._parents.setdefault(child, set()).add(name)
        if suppressor is not None:
            self._suppressed.setdefault(suppressor, set()).add(name)
        self._rank = None
        self._dirty_composites.add(name)

    def delete_alarm(self, name: str) -> None:
        """Delete an alarm no composite alarm references."""
        users = sorted(self._parents.get(name, set()) | self._suppressed.get(name, set()))
        if users:
            raise AlarmInUseError(name, users)
        rt = self._alarm(name)
        if isinstance(rt, _Metric):
            del self._metrics[name]
            self._by_series[rt.key].discard(name)
            self._by_step[rt.step].discard(name)
        else:
            del self._composites[name]
            self._unlink(rt)
            self._rank = None

    def set_state(
        self, name: str, value: str, reason: str, reason_data: str | None = None
    ) -> list[dict]:
        """Set an alarm's state by hand, as SetAlarmState, to test its actions.

        Returns the state-change event (none when the state is already `value`).
        The state lasts until the alarm is next evaluated, at the next tick.
        """
        rt = self._alarm(name)
        if value not in STATES:
            raise AlarmValidationError("value", value, ", ".join(STATES))
        if not isinstance(reason, str) or len(reason) > 1023:
            raise AlarmValidationError("reason", reason, "at most 1023 characters")
        if reason_data is not None:
            try:
                json.loads(reason_data)
            except (TypeError, ValueError):
                raise AlarmValidationError("reason_data", reason_data, "a JSON document") from None
            if len(reason_data) > 4000:
                raise AlarmValidationError("reason_data", reason_data, "at most 4000 characters")
        if value == rt.value:
            return []
        now = self._clock.now()
        events = []
        suppressed_by = None
        if isinstance(rt, _Composite):
            events.extend(self._observe_suppressor(rt, now))
            suppressed_by = rt.suppression.on_transition(now) if rt.suppression else None
            self._arm_timer(rt)
            self._dirty_composites.add(name)
        else:
            self._dirty_metrics.add(name)
        events.append(self._transition(rt, value, reason, reason_data, now, suppressed_by))
        self._dirty_composites |= self._parents.get(name, set()) | self._suppressed.get(name, set())
        return events

    # -- reading ----------------------------------------------------------------

    def status(self, name: str) -> AlarmStatus:
        """The alarm's state now."""
        rt = self._alarm(name)
        suppression = getattr(rt, "suppression", None)
        return AlarmStatus(
            name=name,
            arn=rt.arn,
            alarm_type=rt.alarm_type,
            value=rt.value,
            reason=rt.reason,
            reason_data=rt.reason_data,
            updated=rt.updated,
            actions_suppressed_by=suppression.suppressed_by if suppression else None,
        )

    def statuses(self) -> list[AlarmStatus]:
        """Every alarm's state, metric alarms first, in the order they were created."""
        return [self.status(name) for name in (*self._metrics, *self._composites)]

    def history(self, name: str) -> list[HistoryItem]:
        """The alarm's history of the last two weeks, oldest first."""
        return self._alarm(name).history.items(self._clock.now())

    # -- evaluation -------------------------------------------------------------

    def tick(self) -> list[dict]:
        """Evaluate what may have changed; returns the events, metric alarms first."""
        now = self._clock.now()
        dirty, self._dirty_metrics = self._dirty_metrics, set()
        for step, names in self._by_step.items():
            end = int((now - self._delay) // step) * step
            if self._step_end.get(step) != end:
                self._step_end[step] = end
                dirty.update(names)
        for key, since in self._source.take_changed().items():
            for name in self._by_series.get(key, ()):
                rt = self._metrics[name]
                rt.forget_since(since)
                if since < self._step_end[rt.step]:  # else only periods not yet evaluated changed
                    dirty.add(name)
        events = []
        changed = []
        for name in sorted(dirty):
            rt = self._metrics.get(name)
            event = None if rt is None else self._evaluate_metric(rt, now)
            if event is not None:
                events.append(event)
                changed.append(name)
        events.extend(self._evaluate_composites(now, changed))
        return events

    def _evaluate_metric(self, rt: _Metric, now: float) -> dict | None:
        alarm = rt.definition
        period, count = alarm.period, rt.range_periods
        start = self._step_end[rt.step] - count * period
        periods = rt.periods
        if rt.uses_band:
            periods.clear()  # band edges come from a model that may not have existed before
        while periods and next(iter(periods)) < start:
            del periods[next(iter(periods))]
        if periods and (next(iter(periods)) != start or len(periods) > count):
            periods.clear()  # the window slid by less than a period, or the clock went back
        # `periods` now holds consecutive periods from `start`: measure only those after them.
        known = len(periods)
        if known < count:
            first = start + known * period
            aggs = self._source.window(rt.key, first, period, count - known, rt.stat.needs_sketch)
            for i, agg in enumerate(aggs):
                t = first + i * period
                periods[t] = None if agg is None else self._measure(rt, t, agg)
        newest_first = list(periods.values())[::-1]
        verdict = evaluate(newest_first, rt.m, alarm.evaluation_periods, alarm.treat_missing_data)
        if verdict.state is None or verdict.state == rt.value:
            return None
        if alarm.evaluate_low_sample_count_percentile == "ignore" and any(
            rt.stat.low_sample(p.sample_count) for p in verdict.points
        ):
            return None
        reason, data = metric_reason(alarm, verdict, rt.value, now)
        return self._transition(rt, verdict.state, reason, data, now)

    def _measure(self, rt: _Metric, start: int, agg: Aggregate) -> Point | None:
        """The period's statistic and whether it breaches; None without a band to compare with."""
        alarm = rt.definition
        value = rt.stat.of(agg)
        if not rt.uses_band:
            breaching = breaches(alarm.comparison_operator, value, alarm.threshold)
            return Point(start, value, breaching, agg.count)
        band = self._band(alarm, start)
        if band is None:
            return None
        breaching = breaches(alarm.comparison_operator, value, band=band)
        return Point(start, value, breaching, agg.count, *band)

    def _band(self, alarm: MetricAlarm, period_start: int) -> tuple[float, float] | None:
        model = self._baseline(alarm, period_start)
        if model is None:
            return None
        baseline, sigma = model
        return (baseline - alarm.band_width * sigma, baseline + alarm.band_width * sigma)

    def _evaluate_composites(self, now: float, changed: Iterable[str]) -> list[dict]:
        if self._rank is None:
            self._rank = self._dependency_rank()
        rank = self._rank
        todo, self._dirty_composites = self._dirty_composites, set()
        for name in changed:
            todo |= self._parents.get(name, set()) | self._suppressed.get(name, set())
        while self._timers and self._timers[0][0] <= now:
            todo.add(heapq.heappop(self._timers)[2])
        heap = [(rank[name], name) for name in todo if name in self._composites]
        heapq.heapify(heap)
        events: list[dict] = []
        done: set[str] = set()
        while heap:
            _, name = heapq.heappop(heap)
            if name in done:
                continue
            done.add(name)
            rt = self._composites[name]
            before = rt.value
            events.extend(self._evaluate_composite(rt, now))
            if rt.value != before:
                for user in self._parents.get(name, set()) | self._suppressed.get(name, set()):
                    heapq.heappush(heap, (rank[user], user))
        return events

    def _evaluate_composite(self, rt: _Composite, now: float) -> list[dict]:
        events = self._observe_suppressor(rt, now)
        if rt.suppression is not None and rt.suppression.expire(now):
            events.append(self._release(rt, now))
        value = "ALARM" if rt.rule.evaluate(self._states) else "OK"
        if value != rt.value:
            created = rt.evaluated_at is None
            since = -math.inf if created else rt.evaluated_at
            triggering = [
                (child.arn, child.value, child.transitioned)
                for child in map(self._alarm, rt.rule.children)
                if child.transitioned > since
            ]
            reason, data = composite_reason(rt.arn, value, triggering, created)
            suppressed_by = rt.suppression.on_transition(now) if rt.suppression else None
            events.append(self._transition(rt, value, reason, data, now, suppressed_by))
        self._arm_timer(rt)
        rt.evaluated_at = now
        return events

    def _observe_suppressor(self, rt: _Composite, now: float) -> list[dict]:
        if rt.suppression is None or rt.suppressor is None:
            return []
        in_alarm = self._alarm(rt.suppressor).value == "ALARM"
        return [self._release(rt, now)] if rt.suppression.observe(in_alarm, now) else []

    def _arm_timer(self, rt: _Composite) -> None:
        until = rt.suppression.until if rt.suppression else None
        if until is not None and until != rt.armed:
            heapq.heappush(self._timers, (until, next(self._seq), rt.definition.name))
        rt.armed = until

    # -- events -----------------------------------------------------------------

    def _transition(
        self,
        rt: _Alarm,
        value: str,
        reason: str,
        data: str | None,
        now: float,
        suppressed_by: str | None = None,
    ) -> dict:
        name = rt.definition.name
        previous = state_dict(rt.value, rt.reason, rt.reason_data, rt.updated)
        rt.history.append(
            HistoryItem.state_update(
                name,
                rt.alarm_type,
                now,
                (rt.value, rt.reason, rt.reason_data),
                (value, reason, data),
            )
        )
        rt.value, rt.reason, rt.reason_data, rt.updated, rt.transitioned = (
            value,
            reason,
            data,
            now,
            now,
        )
        state = state_dict(value, reason, data, now)
        if suppressed_by is not None:
            state["actionsSuppressedBy"] = suppressed_by
            state["actionsSuppressedReason"] = f"Actions suppressed by {suppressed_by}"
        detail = {
            "alarmName": name,
            "state": state,
            "previousState": previous,
            "configuration": _configuration(rt.definition),
        }
        actions = [] if suppressed_by is not None else _targets(rt.definition, value)
        return self._event(STATE_CHANGE, rt, now, detail, actions)

    def _release(self, rt: _Composite, now: float) -> dict:
        detail = {
            "alarmName": rt.definition.name,
            "state": state_dict(rt.value, rt.reason, rt.reason_data, rt.updated),
            "configuration": _configuration(rt.definition),
        }
        return self._event(ACTIONS_RELEASED, rt, now, detail, _targets(rt.definition, rt.value))

    def _event(
        self, detail_type: str, rt: _Alarm, now: float, detail: dict, actions: list[str]
    ) -> dict:
        return alarm_event(
            detail_type,
            arn=rt.arn,
            region=self._region,
            account=self._account,
            now=now,
            detail=detail,
            actions=actions,
        )

    # -- registry ---------------------------------------------------------------

    def _record_configuration(self, rt: _Alarm, created: bool) -> None:
        item = HistoryItem.configuration_update(
            rt.alarm_type, self._clock.now(), rt.definition, created
        )
        rt.history.append(item)

    def _alarm(self, name: str) -> _Alarm:
        rt = self._metrics.get(name) or self._composites.get(name)
        if rt is None:
            raise AlarmValidationError("name", name, "the name of an existing alarm")
        return rt

    def _arn(self, name: str) -> str:
        return alarm_arn(self._region, self._account, name)

    def _name_of(self, reference: str) -> str:
        """An alarm name for a rule's reference: a name, or an ARN of this region and account."""
        if reference.startswith("arn:"):
            if not reference.startswith(self._arn_prefix):
                raise AlarmValidationError("rule", reference, f"ARNs starting {self._arn_prefix}")
            return reference[len(self._arn_prefix) :]
        return reference

    def _unlink(self, rt: _Composite) -> None:
        name = rt.definition.name
        for child in rt.rule.children:
            self._parents[child].discard(name)
        if rt.suppressor is not None:
            self._suppressed[rt.suppressor].discard(name)

    def _cycle_through(self, name: str, deps: set[str]) -> list[str] | None:
        """A dependency path from `name` back to itself, if `deps` would close one."""
        stack = [(dep, [name, dep]) for dep in sorted(deps)]
        seen: set[str] = set()
        while stack:
            node, path = stack.pop()
            if node == name:
                return path
            if node in seen:
                continue
            seen.add(node)
            stack.extend((nxt, [*path, nxt]) for nxt in sorted(self._composites[node].deps))
        return None

    def _dependency_rank(self) -> dict[str, int]:
        """Each composite's place in an order where every composite follows what it reads."""
        waiting = {name: len(rt.deps) for name, rt in self._composites.items()}
        users: dict[str, list[str]] = {}
        for name, rt in self._composites.items():
            for dep in rt.deps:
                users.setdefault(dep, []).append(name)
        ready = [name for name, n in waiting.items() if n == 0]
        rank: dict[str, int] = {}
        while ready:
            name = ready.pop()
            rank[name] = len(rank)
            for user in users.get(name, ()):
                waiting[user] -= 1
                if waiting[user] == 0:
                    ready.append(user)
        return rank


class _States:
    """Alarm states by name, read on demand by a rule."""

    __slots__ = ("_evaluator",)

    def __init__(self, evaluator: AlarmEvaluator) -> None:
        self._evaluator = evaluator

    def get(self, name: str) -> str:
        return self._evaluator._alarm(name).value


def _targets(alarm: MetricAlarm | CompositeAlarm, value: str) -> list[str]:
    if not alarm.actions_enabled:
        return []
    if value == "ALARM":
        return list(alarm.alarm_actions)
    if value == "OK":
        return list(alarm.ok_actions)
    return list(alarm.insufficient_data_actions)


def _configuration(alarm: MetricAlarm | CompositeAlarm) -> dict[str, object]:
    """The event's `configuration`, as CloudWatch gives it for each kind of alarm."""
    if isinstance(alarm, CompositeAlarm):
        config: dict[str, object] = {"alarmRule": alarm.rule}
        if alarm.actions_suppressor is not None:
            config["actionsSuppressor"] = alarm.actions_suppressor
            config["actionsSuppressorWaitPeriod"] = alarm.actions_suppressor_wait_period
            config["actionsSuppressorExtensionPeriod"] = alarm.actions_suppressor_extension_period
        return config
    metric = {
        "id": "m1",
        "metricStat": {
            "metric": {
                "namespace": alarm.namespace,
                "name": alarm.metric_name,
                "dimensions": dict(alarm.dimensions),
            },
            "period": alarm.period,
            "stat": alarm.statistic,
        },
        "returnData": True,
    }
    metrics: list[dict[str, object]] = [metric]
    if alarm.uses_band:
        metrics.append(
            {
                "id": "ad1",
                "expression": f"ANOMALY_DETECTION_BAND(m1, {alarm.band_width:g})",
                "label": f"{alarm.metric_name} (expected)",
                "returnData": True,
            }
        )
    return {"description": alarm.description, "metrics": metrics}
