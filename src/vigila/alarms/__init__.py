"""Alarms with CloudWatch's semantics: metric alarms (M of N, missing data, anomaly
bands), composite alarms (rules, actions suppression) and an evaluator that emits
EventBridge-shaped state-change events."""

from vigila.alarms.errors import (
    AlarmCycleError,
    AlarmInUseError,
    AlarmValidationError,
    RuleLimitError,
    RuleSyntaxError,
)
from vigila.alarms.evaluator import AlarmEvaluator
from vigila.alarms.model import AlarmState, CompositeAlarm, MetricAlarm
from vigila.alarms.ports import BaselineProvider, MetricSource
from vigila.alarms.rule import Rule, parse_rule
from vigila.alarms.selfmon import SelfMonitoringThresholds, self_monitoring_alarms
from vigila.alarms.status import AlarmStatus, HistoryItem

__all__ = [
    "AlarmCycleError",
    "AlarmEvaluator",
    "AlarmInUseError",
    "AlarmState",
    "AlarmStatus",
    "AlarmValidationError",
    "BaselineProvider",
    "CompositeAlarm",
    "HistoryItem",
    "MetricAlarm",
    "MetricSource",
    "Rule",
    "RuleLimitError",
    "RuleSyntaxError",
    "SelfMonitoringThresholds",
    "parse_rule",
    "self_monitoring_alarms",
]
