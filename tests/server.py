"""A real `vigila serve` in a subprocess, on a free port, for end-to-end and browser tests."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path

import uvicorn


class Server:
    """`vigila serve --port 0` over `data_dir` with extra arguments; `url` once it listens.
    Its output is read all along (a full pipe would stall it); `output` keeps the end."""

    def __init__(self, data_dir: Path, *args: str, profile: str = "dev",
                 timeout: float = 30.0, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "vigila", "serve", "--data-dir", str(data_dir), "--port", "0",
             *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "VIGILA_PROFILE": profile, "COLUMNS": "200", **(env or {})})
        self.started = time.monotonic()
        self.output: deque[str] = deque(maxlen=200)
        self.url = self._wait_for_url(timeout)
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        for line in self.proc.stdout:
            self.output.append(line)

    def _wait_for_url(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            self.output.append(line)
            match = re.search(r"listening on (http://\S+)", line)
            if match:
                return match.group(1)
            if self.proc.poll() is not None:
                break
        self.proc.kill()
        raise RuntimeError("the server did not start:\n" + "".join(self.output))

    def children(self) -> list[int]:
        """Pids of the server's child processes (its ingest workers)."""
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def kill(self) -> None:
        """SIGKILL: no shutdown at all."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        """SIGTERM and wait: a clean shutdown."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


class InThread:
    """An ASGI app served by uvicorn in a thread of this process, on a free port: for
    streaming answers, which the test client cannot end."""

    def __init__(self, app: object) -> None:
        self._server = uvicorn.Server(uvicorn.Config(app, port=0, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        while not self._server.started:
            time.sleep(0.01)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
