"""Rules over HTTP: list, read, create, replace, delete, and test a pattern on an event."""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from vigila.api.bodies import decode_body, named_body
from vigila.api.deps import require, runtime
from vigila.api.responses import ApiError, json_response
from vigila.config.redact import redact
from vigila.routing.catalog import RuleConflict
from vigila.routing.model import Rule
from vigila.rules import Pattern, PatternError
from vigila.runtime import Runtime

router = APIRouter(tags=["rules"])


class PatternTest(msgspec.Struct, forbid_unknown_fields=True):
    pattern: dict[str, Any]
    event: dict[str, Any]


def rule_view(rule: Rule, origin: str) -> dict[str, Any]:
    """A rule as the API shows it: header values and webhook paths (tokens) hidden."""
    return {**redact(msgspec.to_builtins(rule)), "origin": origin}


def _check_pattern(pattern: dict[str, Any]) -> Pattern:
    try:
        return Pattern(pattern)
    except PatternError as exc:
        raise ApiError(400, "invalid_pattern", str(exc)) from None


@router.get("/v1/rules", summary="Every rule and where it comes from",
            dependencies=[Depends(require("read"))])
def list_rules(rt: Runtime = Depends(runtime)) -> Response:
    rules = rt.rules.all()
    return json_response({"items": [rule_view(r, o) for _, (r, o) in sorted(rules.items())]})


@router.get("/v1/rules/{name}", summary="One rule", dependencies=[Depends(require("read"))])
def get_rule(name: str, rt: Runtime = Depends(runtime)) -> Response:
    found = rt.rules.all().get(name)
    if found is None:
        raise ApiError(404, "not_found", f"no rule named {name!r}")
    return json_response(rule_view(*found))


async def _put(rule: Rule, rt: Runtime, *, create_only: bool) -> Response:
    _check_pattern(rule.pattern)
    if create_only and rule.name in rt.rules.all():
        raise ApiError(409, "conflict", f"a rule named {rule.name!r} exists; PUT replaces it")
    try:
        outcome = rt.rules.put(rule)
    except RuleConflict as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    return json_response({"rule": rule_view(rule, "api"), "result": outcome},
                         201 if outcome == "created" else 200)


@router.post("/v1/rules", summary="Create a rule", dependencies=[Depends(require("admin"))])
async def create_rule(request: Request, rt: Runtime = Depends(runtime)) -> Response:
    return await _put(await decode_body(request, Rule, reason="invalid_rule"), rt, create_only=True)


@router.put("/v1/rules/{name}", summary="Create or replace a rule",
            dependencies=[Depends(require("admin"))])
async def replace_rule(name: str, request: Request, rt: Runtime = Depends(runtime)) -> Response:
    body = await named_body(request, name, reason="invalid_rule")
    try:
        rule = msgspec.convert(body, Rule)
    except msgspec.ValidationError as exc:
        raise ApiError(400, "invalid_rule", str(exc)) from None
    return await _put(rule, rt, create_only=False)


@router.delete("/v1/rules/{name}", summary="Delete a rule",
               dependencies=[Depends(require("admin"))])
def delete_rule(name: str, rt: Runtime = Depends(runtime)) -> Response:
    try:
        deleted = rt.rules.delete(name)
    except RuleConflict as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    if not deleted:
        raise ApiError(404, "not_found", f"no rule named {name!r}")
    return Response(status_code=204)


@router.post("/v1/rules/test", summary="Does this event match this pattern, and if not, why",
             dependencies=[Depends(require("read"))])
async def test_pattern(request: Request) -> Response:
    body = await decode_body(request, PatternTest, reason="invalid_rule")
    pattern = _check_pattern(body.pattern)
    reason = pattern.explain(body.event)
    return json_response({"match": reason is None, "reason": reason})
