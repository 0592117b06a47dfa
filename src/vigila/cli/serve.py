"""`vigila serve`: the embedded server, optionally fed by simulated traffic."""

from __future__ import annotations

import threading
import time
from typing import Annotated

import typer
import uvicorn

from vigila.api.app import create_app
from vigila.cli.common import ConfigFile, DataDir, Profile, console, fail, settings
from vigila.ingest.errors import IngestError
from vigila.packs.base import UnknownPack, load_packs
from vigila.runtime import Runtime
from vigila.simulate.source import SimulatedSource


def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port (0: any free port).")] = None,
    data_dir: DataDir = None,
    profile: Profile = None,
    config: ConfigFile = None,
    simulate: Annotated[list[str] | None, typer.Option(
        help="Feed simulated traffic of this pack (repeatable).")] = None,
    rate: Annotated[float, typer.Option(help="Simulated events per second.")] = 50.0,
    faults: Annotated[str, typer.Option(
        help="Incidents the simulator injects, e.g. random:20 (per hour).")] = "",
) -> None:
    """Run the embedded server: ingest, pipeline, API."""
    effective = settings(profile, config, data_dir, **{"server.host": host, "server.port": port})
    cfg = effective.config
    try:
        sim_packs = load_packs(simulate or [])
        rt = Runtime(cfg)
    except (UnknownPack, ValueError) as exc:
        raise fail(str(exc), 2) from None
    try:
        sources = [SimulatedSource(pack, _in_process_sink(rt), rate=rate, faults=faults)
                   for pack in sim_packs]
    except ValueError as exc:
        rt.stop()
        raise fail(str(exc), 2) from None
    server = uvicorn.Server(uvicorn.Config(create_app(rt), host=cfg.server.host,
                                           port=cfg.server.port, log_level="warning",
                                           access_log=False))
    threading.Thread(target=_announce, args=(server, cfg.environment, sources), daemon=True
                     ).start()
    rt.start()
    try:
        server.run()
    finally:
        for source in sources:
            source.stop()
        rt.stop()


def _in_process_sink(rt: Runtime):  # type: ignore[no-untyped-def]
    def sink(body: bytes) -> None:
        if rt.total_lag() > rt.config.log.max_lag_records:
            console.print("[yellow]simulated batch dropped: the pipeline is behind[/yellow]")
            return
        try:
            prepared = rt.ingest.prepare(body)
            appended = rt.writer.submit(prepared.batch.to_append).result()
            rt.metrics.ingest_events.labels("accepted").inc(appended.appended)
        except IngestError as exc:
            console.print(f"[yellow]simulated batch refused:[/yellow] {exc.message}")

    return sink


def _announce(server: uvicorn.Server, environment: str, sources: list[SimulatedSource]) -> None:
    while not server.started:
        if server.should_exit:
            return
        time.sleep(0.05)
    host, port = server.servers[0].sockets[0].getsockname()[:2]
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    for source in sources:
        source.start()
    console.print(f"vigila ({environment}) listening on {url}", highlight=False, soft_wrap=True)
    console.print(f"  dashboard: {url}/   API docs: {url}/docs   metrics: {url}/metrics",
                  highlight=False, soft_wrap=True)
