"""The monitoring side as real daemons on free loopback ports: Pushgateway, Prometheus scraping
it, Alertmanager (Debian's prometheus-pushgateway, prometheus, prometheus-alertmanager).

Each runs in a temp dir, is ready when its /-/ready answers 200, and is stopped on exit.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import free_port
from tests.servers_prometheus import stop


@contextmanager
def daemon(binary: str, *args: str, config: str | None = None) -> Iterator[str]:
    """Run `binary` listening on a free port (`{port}`, `{dir}` in args are filled); yields its URL."""
    path = shutil.which(binary) or f"/usr/bin/{binary}"
    if not Path(path).exists():
        pytest.fail(f"{binary} is not installed (the apt list in .ci/run has it)")
    directory = Path(tempfile.mkdtemp(prefix=f"opsgate-{binary}-"))
    port = free_port()
    if config is not None:
        (directory / "config.yml").write_text(config)
    log = directory / "log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [path, *(a.format(port=port, dir=directory) for a in args)], stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, log)
        yield url
    finally:
        stop(process)
        shutil.rmtree(directory, ignore_errors=True)


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/-/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{process.args[0]} not ready after 60 s: {log.read_text()[-2000:]}")


@contextmanager
def pushgateway() -> Iterator[str]:
    with daemon("prometheus-pushgateway", "--web.listen-address=127.0.0.1:{port}",
                "--persistence.file=") as url:
        yield url


@contextmanager
def prometheus_scraping(target_url: str) -> Iterator[str]:
    """A Prometheus that scrapes `target_url` every second, keeping the pushed labels."""
    address = target_url.removeprefix("http://")
    config = ("global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: pushgateway\n"
              f"    honor_labels: true\n    static_configs: [{{targets: ['{address}']}}]\n")
    with daemon("prometheus", "--config.file={dir}/config.yml", "--storage.tsdb.path={dir}/data",
                "--web.listen-address=127.0.0.1:{port}", config=config) as url:
        yield url


def query_until(prometheus: str, promql: str, seconds: float = 30.0) -> list[dict[str, Any]]:
    """The instant vector of `promql` once it is not empty (scrapes take a second or two)."""
    deadline = time.monotonic() + seconds
    while True:
        result = httpx.get(f"{prometheus}/api/v1/query", params={"query": promql},
                           timeout=5).json()["data"]["result"]
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.3)


@contextmanager
def alertmanager(webhook: str) -> Iterator[str]:
    """An Alertmanager routing every alert at once to `webhook`, resolved ones included."""
    config = ("route: {receiver: hook, group_by: ['...'], group_wait: 0s, group_interval: 1s, "
              "repeat_interval: 1h}\n"
              "receivers:\n  - name: hook\n"
              f"    webhook_configs: [{{url: '{webhook}', send_resolved: true}}]\n")
    with daemon("prometheus-alertmanager", "--config.file={dir}/config.yml", "--storage.path={dir}/data",
                "--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=",
                config=config) as url:
        yield url


class Receiver:
    """A local HTTP endpoint that records every JSON body posted to it, by path."""

    def __init__(self) -> None:
        import http.server
        import threading

        self.posts: list[tuple[str, str]] = []  # (path, raw body)
        received = self.posts

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append((self.path, body.decode("utf-8")))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def bodies(self, path: str) -> list[Any]:
        import json

        return [json.loads(body) for where, body in self.posts if where == path]

    def wait_for(self, path: str, count: int = 1, seconds: float = 30.0) -> list[Any]:
        deadline = time.monotonic() + seconds
        while len(self.bodies(path)) < count and time.monotonic() < deadline:
            time.sleep(0.2)
        return self.bodies(path)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
