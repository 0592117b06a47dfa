import pytest
from fastapi.testclient import TestClient

from tests.support import make_config
from vigila.api.app import create_app
from vigila.runtime import Runtime

RULE = {"name": "big-orders", "pattern": {"source": ["app.orders"],
                                          "detail": {"n": [{"numeric": [">=", 100]}]}},
        "targets": [{"type": "store", "collection": "big"}]}


@pytest.fixture
def api(tmp_path, clock):
    rt = Runtime(make_config(tmp_path, rules=[{"name": "from-config",
                                               "pattern": {"source": ["x"]}}]), clock=clock)
    rt.start(pipeline=False)
    with TestClient(create_app(rt)) as client:
        yield client, rt
    rt.stop()


def test_crud(api):
    client, _ = api
    assert client.post("/v1/rules", json=RULE).status_code == 201
    assert client.post("/v1/rules", json=RULE).status_code == 409
    listed = {r["name"]: r["origin"] for r in client.get("/v1/rules").json()["items"]}
    assert listed == {"big-orders": "api", "from-config": "config"}
    changed = {**RULE, "enabled": False}
    response = client.put("/v1/rules/big-orders", json=changed)
    assert response.status_code == 200 and response.json()["result"] == "replaced"
    assert client.get("/v1/rules/big-orders").json()["enabled"] is False
    assert client.delete("/v1/rules/big-orders").status_code == 204
    assert client.delete("/v1/rules/big-orders").status_code == 404
    assert client.get("/v1/rules/big-orders").status_code == 404


def test_put_creates_and_names_must_agree(api):
    client, _ = api
    body = {k: v for k, v in RULE.items() if k != "name"}
    assert client.put("/v1/rules/new-one", json=body).status_code == 201
    response = client.put("/v1/rules/other", json=RULE)
    assert response.status_code == 400 and "names 'big-orders'" in response.json()["error"][
        "message"]


def test_config_and_pack_rules_are_read_only(api):
    client, _ = api
    response = client.put("/v1/rules/from-config", json={"pattern": {"source": ["y"]}})
    assert response.status_code == 409 and "comes from config" in response.text
    assert client.delete("/v1/rules/from-config").status_code == 409


@pytest.mark.parametrize(("rule", "message"), [
    ({**RULE, "pattern": {"source": "app.orders"}}, "(at $.source)"),
    ({**RULE, "pattern": {"detail": {"n": [{"nope": 1}]}}}, "$.detail.n"),
    ({**RULE, "name": "has spaces"}, "$.name"),
    ({**RULE, "targets": [{"type": "sms"}]}, "$.targets[0]"),
    ({**RULE, "targets": [{"type": "webhook", "url": "ftp://x"}]}, "$.targets[0].url"),
    ({**RULE, "surprise": 1}, "unknown field `surprise`"),
])
def test_invalid_rules_are_400_with_the_path(api, rule, message):
    client, _ = api
    response = client.post("/v1/rules", json=rule)
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]


def test_bad_bodies(api):
    client, _ = api
    assert client.post("/v1/rules", content=b"{nope").status_code == 400
    assert client.post("/v1/rules", content=b"x" * 300_000).status_code == 413


def test_pattern_test_endpoint(api):
    client, _ = api
    event = {"source": "app.orders", "detail": {"n": 5}}
    yes = client.post("/v1/rules/test", json={"pattern": {"source": ["app.orders"]},
                                              "event": event}).json()
    assert yes == {"match": True, "reason": None}
    no = client.post("/v1/rules/test", json={"pattern": RULE["pattern"], "event": event}).json()
    assert no["match"] is False and "detail.n" in no["reason"]
    bad = client.post("/v1/rules/test", json={"pattern": {"a": 1}, "event": event})
    assert bad.status_code == 400 and bad.json()["error"]["reason"] == "invalid_pattern"


def test_rules_show_no_header_values_and_no_webhook_tokens(tmp_path, clock):
    secret_hook = {"type": "webhook", "url": "https://hooks.slack.com/services/T0/B0/SECRET",
                   "headers": {"authorization": "Bearer TOKEN"}}
    rt = Runtime(make_config(tmp_path, targets={"oncall": secret_hook},
                             alerting={"critical_insight_targets": ["oncall"]}), clock=clock)
    try:
        with TestClient(create_app(rt)) as client:
            shown = client.get("/v1/rules").text + client.get(
                "/v1/rules/critical-insights").text
        assert "SECRET" not in shown and "TOKEN" not in shown
        assert "hooks.slack.com" in shown and "(redacted)" in shown
    finally:
        rt.stop()


def test_a_rule_over_the_api_cannot_write_files_on_the_server(api, tmp_path):
    client, _ = api
    rule = {**RULE, "targets": [{"type": "file", "path": str(tmp_path / ".ssh/authorized_keys"),
                                 "input": "ssh-ed25519 AAAA attacker"}]}
    response = client.post("/v1/rules", json=rule)
    assert response.status_code == 409 and "cannot write files" in response.text
    assert not (tmp_path / ".ssh").exists()
