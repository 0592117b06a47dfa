"""Budget guard: hourly and monthly USD caps on LLM spend, and an alert at an hourly rate.

Spend is counted per clock hour and per calendar month (UTC). Over either cap
the analyst answers; crossing the alert level in an hour returns an alert once
for that hour, which the engine publishes as an event.

>>> from vigila.clock import ManualClock
>>> clock = ManualClock(1_790_000_000.0)
>>> guard = BudgetGuard(clock, hourly_usd=1.0, monthly_usd=100.0, alert_usd_per_hour=0.5)
>>> guard.refusal() is None
True
>>> guard.spend(0.6)["spend_usd"]
0.6
>>> guard.spend(0.6) is None, guard.refusal()
(True, 'budget_hourly: $1.20 spent this hour, cap $1.00')
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from vigila.clock import Clock


def hour_of(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H")


def month_start(at: float) -> float:
    """The first second of `at`'s calendar month (UTC)."""
    day = datetime.fromtimestamp(at, UTC)
    return day.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()


def month_of(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m")


class BudgetGuard:
    def __init__(self, clock: Clock, *, hourly_usd: float, monthly_usd: float,
                 alert_usd_per_hour: float) -> None:
        self._clock = clock
        self.hourly_usd = hourly_usd
        self.monthly_usd = monthly_usd
        self.alert_usd_per_hour = alert_usd_per_hour
        self._hours: dict[str, float] = {}
        self._months: dict[str, float] = {}
        self._alerted: set[str] = set()

    def restore(self, spends: list[tuple[float, float]]) -> None:
        """Past `(time, usd)` spends, from the ledger, so a restart keeps counting."""
        for at, usd in spends:
            self._add(at, usd)
            if self._hours[hour_of(at)] >= self.alert_usd_per_hour > 0:
                self._alerted.add(hour_of(at))

    def refusal(self) -> str | None:
        """Why no call may be made now, or None."""
        now = self._clock.now()
        hour = self._hours.get(hour_of(now), 0.0)
        if hour >= self.hourly_usd:
            return f"budget_hourly: ${hour:.2f} spent this hour, cap ${self.hourly_usd:.2f}"
        month = self._months.get(month_of(now), 0.0)
        if month >= self.monthly_usd:
            return f"budget_monthly: ${month:.2f} spent this month, cap ${self.monthly_usd:.2f}"
        return None

    def spend(self, usd: float) -> dict[str, Any] | None:
        """Count `usd` now; returns the alert detail the first time this hour crosses the
        alert level."""
        now = self._clock.now()
        self._add(now, usd)
        hour = hour_of(now)
        spent = self._hours[hour]
        if self.alert_usd_per_hour > 0 and spent >= self.alert_usd_per_hour \
                and hour not in self._alerted:
            self._alerted.add(hour)
            return {"hour": hour, "spend_usd": round(spent, 6),
                    "threshold_usd": self.alert_usd_per_hour, "hourly_cap_usd": self.hourly_usd}
        return None

    def _add(self, at: float, usd: float) -> None:
        hour, month = hour_of(at), month_of(at)
        self._hours[hour] = self._hours.get(hour, 0.0) + usd
        self._months[month] = self._months.get(month, 0.0) + usd
        if len(self._hours) > 48:  # only the current hour matters
            for old in sorted(self._hours)[:-2]:
                del self._hours[old]
