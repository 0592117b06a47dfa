"""`vigila alarms`: list, describe, history and set-state, against a running server
(alarm states live in the server that evaluates them)."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
import typer

from vigila.cli.common import Json, console, fail, print_json, print_table

app = typer.Typer(help="CloudWatch-style alarms of a running server.", no_args_is_help=True)
Url = Annotated[str, typer.Option(envvar="VIGILA_URL", help="The server.")]
ApiKey = Annotated[str | None, typer.Option(envvar="VIGILA_API_KEY")]


def _call(method: str, url: str, path: str, api_key: str | None, **kwargs: Any) -> Any:
    headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        response = httpx.request(method, url.rstrip("/") + path, headers=headers, timeout=30,
                                 **kwargs)
    except httpx.HTTPError as exc:
        raise fail(f"{url}: {exc}") from None
    if response.status_code >= 400:
        try:
            message = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = response.text[:300]
        raise fail(f"HTTP {response.status_code}: {message}", 2 if response.status_code < 500
                   else 1)
    return response.json()


@app.command("list")
def list_alarms(url: Url = "http://127.0.0.1:8080", api_key: ApiKey = None,
                state: Annotated[str | None, typer.Option(help="OK, ALARM or "
                                                           "INSUFFICIENT_DATA.")] = None,
                json: Json = False) -> None:
    """Every alarm and its state."""
    params = {"state": state} if state else {}
    items = _call("GET", url, "/v1/alarms", api_key, params=params)["items"]
    if json:
        print_json(items)
        return
    print_table(f"{len(items)} alarms", ["name", "state", "type", "origin", "reason"],
                [[a["name"], a["state"], a["type"], a["origin"], a["reason"]] for a in items])


@app.command("describe")
def describe(name: str, url: Url = "http://127.0.0.1:8080", api_key: ApiKey = None) -> None:
    """One alarm: definition and state, as JSON."""
    print_json(_call("GET", url, f"/v1/alarms/{name}", api_key))


@app.command("history")
def history(name: str, url: Url = "http://127.0.0.1:8080", api_key: ApiKey = None,
            json: Json = False) -> None:
    """State and configuration changes, newest first."""
    items = _call("GET", url, f"/v1/alarms/{name}/history", api_key)["items"]
    if json:
        print_json(items)
        return
    print_table(f"history of {name}", ["timestamp", "type", "summary"],
                [[h["timestamp"], h["item_type"], h["summary"]] for h in items])


@app.command("set-state")
def set_state(name: str, value: Annotated[str, typer.Argument(help="OK, ALARM or "
                                                                  "INSUFFICIENT_DATA.")],
              reason: Annotated[str, typer.Option()] = "set by hand",
              url: Url = "http://127.0.0.1:8080", api_key: ApiKey = None) -> None:
    """Set an alarm's state to test its actions; the next evaluation sets it back."""
    result = _call("POST", url, f"/v1/alarms/{name}/state", api_key,
                   json={"value": value, "reason": reason})
    console.print(f"{name} is {result['alarm']['state']} "
                  f"({len(result['events'])} event(s))")
