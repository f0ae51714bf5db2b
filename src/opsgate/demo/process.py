"""`DemoProcess`: the demo target in a child process, started and stopped from Python.

    with DemoProcess(DemoConfig(port=0, https_port=0)) as demo:
        httpx.get(demo.http_url + "/health")
        httpx.get(demo.https_url + "/", verify=demo.ssl_context())

The child never outlives its parent: `stop()` terminates it (kill after 5 s), an atexit hook
stops it if the caller forgets, and the child exits by itself when the parent's end of its
stdin pipe closes (even if the parent was killed).
"""

from __future__ import annotations

import atexit
import os
import queue
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from opsgate.demo.app import DemoConfig, DemoError

READY = re.compile(r"^opsgate demo ready http=(?P<http>\S+) https=(?P<https>\S+)$")
STOP_GRACE_SECONDS = 5.0


class DemoProcess:
    """Runs `python -m opsgate.demo` for the given config; a context manager, or start()/stop().

    Keyword arguments other than `startup_timeout` and `env` override fields of `config`, so
    `DemoProcess(port=0, https_port=0, broken=True)` works without building a DemoConfig.
    `ca_bundle=None` writes the CA to a temporary directory removed on stop.
    `env` adds to (or overrides) the child's environment, e.g. OPSGATE_DEMO_REDIS_URL.
    """

    def __init__(
        self,
        config: DemoConfig | None = None,
        *,
        host: str | None = None,
        port: int | None = None,
        https_port: int | None = None,
        ca_bundle: str | os.PathLike[str] | None = None,
        broken: bool | None = None,
        mode: str | None = None,
        startup_timeout: float = 15.0,
        env: Mapping[str, str] | None = None,
    ) -> None:
        given = {"host": host, "port": port, "https_port": https_port, "broken": broken, "mode": mode}
        overrides: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
        if ca_bundle is not None:
            overrides["ca_bundle"] = Path(ca_bundle)
        self.config = replace(config or DemoConfig(), **overrides)
        self.startup_timeout = startup_timeout
        self.env = dict(env or {})
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._tmpdir: str | None = None
        self._urls: tuple[str, str] | None = None
        self._ca_bundle: Path | None = None

    # --- what callers use ---

    @property
    def http_url(self) -> str:
        """Base URL of the HTTP listener, e.g. `http://127.0.0.1:8642` (no trailing slash)."""
        return self._ready()[0]

    @property
    def https_url(self) -> str:
        """Base URL of the HTTPS listener, e.g. `https://127.0.0.1:8643`."""
        return self._ready()[1]

    @property
    def ca_bundle(self) -> Path:
        """PEM file of the CA that signed the HTTPS certificate."""
        self._ready()
        assert self._ca_bundle is not None
        return self._ca_bundle

    @property
    def pid(self) -> int | None:
        """Process id of the child while it runs."""
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def ssl_context(self) -> ssl.SSLContext:
        """A client TLS context that trusts only this demo's CA."""
        return ssl.create_default_context(cafile=str(self.ca_bundle))

    def start(self) -> DemoProcess:
        """Spawn the child and wait for its ready line; DemoError if it fails or times out."""
        if self._proc is not None:
            raise DemoError("demo target is already started")
        self._ca_bundle = self._pick_ca_bundle()
        # A file, not a pipe: nobody drains the child's stderr while it runs.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self._proc = subprocess.Popen(
            self._command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**os.environ, **self.env},
        )
        atexit.register(self.stop)
        try:
            self._urls = self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Terminate the child (kill it after 5 s) and clean up; safe to call twice."""
        proc, self._proc = self._proc, None
        atexit.unregister(self.stop)
        if proc is not None:
            _terminate(proc)
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None
        self._urls = None

    def __enter__(self) -> DemoProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- internals ---

    def _ready(self) -> tuple[str, str]:
        if self._urls is None:
            raise DemoError("demo target is not running; call start() or use `with DemoProcess()`")
        return self._urls

    def _pick_ca_bundle(self) -> Path:
        if self.config.ca_bundle is not None:
            return Path(self.config.ca_bundle).resolve()
        self._tmpdir = tempfile.mkdtemp(prefix="opsgate-demo-")
        return Path(self._tmpdir) / "demo-ca.pem"

    def _command(self) -> list[str]:
        c = self.config
        command = [
            sys.executable,
            "-m",
            "opsgate.demo",
            "--host",
            c.host,
            "--port",
            str(c.port),
            "--https-port",
            str(c.https_port),
            "--ca-bundle",
            str(self._ca_bundle),
            "--exit-on-stdin-eof",
        ]
        command += ["--mode", c.mode] if c.mode else []
        return command + ["--broken"] if c.broken else command

    def _wait_until_ready(self) -> tuple[str, str]:
        assert self._proc is not None and self._proc.stdout is not None
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(
            target=_pump, args=(self._proc.stdout, lines), name="demo-stdout", daemon=True
        ).start()
        deadline = time.monotonic() + self.startup_timeout
        while True:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                waited = f"{self.startup_timeout:g} s"
                message = f"demo target did not become ready within {waited}"
                raise DemoError(message + self._stderr_tail()) from None
            if line is None:
                raise DemoError(self._exit_reason())
            match = READY.match(line.strip())
            if match:
                return match["http"], match["https"]

    def _exit_reason(self) -> str:
        assert self._proc is not None
        code = self._proc.wait(timeout=STOP_GRACE_SECONDS)
        tail = self._stderr_text().strip().splitlines()
        # The child prints its reason ("demo target cannot listen on ...") as its last line.
        if tail and tail[-1].startswith("demo target"):
            return tail[-1]
        return f"demo target exited with status {code} before it was ready{self._stderr_tail()}"

    def _stderr_text(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def _stderr_tail(self) -> str:
        tail = self._stderr_text().strip().splitlines()[-20:]
        return ("; its stderr ends with:\n" + "\n".join(tail)) if tail else ""


def _pump(stream: IO[bytes], lines: queue.Queue[str | None]) -> None:
    """Forward the child's stdout lines, then None at EOF; draining keeps the pipe from filling."""
    try:
        for raw in stream:
            lines.put(raw.decode(errors="replace"))
    except (OSError, ValueError):
        pass  # stop() closed the pipe under us
    lines.put(None)


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    if proc.stdin is not None:
        proc.stdin.close()
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()
