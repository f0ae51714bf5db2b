"""A real Prometheus server (Debian's `prometheus`) scraping a demo target every second.

Session-scoped: start-up costs about 6 s. The demo target gets known traffic first (5 x 201,
3 x 500, 1 x 404 on /status/{code}) and the fixture waits until Prometheus has scraped it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from opsgate.demo import DemoProcess
from tests.conftest import free_port

TRAFFIC = {201: 5, 500: 3, 404: 1}


@dataclass(frozen=True)
class PrometheusServer:
    url: str
    demo: DemoProcess

    def query(self, promql: str) -> dict:
        answer = httpx.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=5)
        return answer.json()["data"]


def _wait_for_data(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    wanted = 'demo_http_requests_total{path="/status/{code}",status="500"}'
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"prometheus exited: {log.read_text()[-2000:]}")
        try:
            data = httpx.get(f"{url}/api/v1/query", params={"query": wanted}, timeout=2).json()
            if data["data"]["result"]:
                return
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"prometheus has no data after 60 s: {log.read_text()[-2000:]}")


@pytest.fixture(scope="session", name="prometheus")
def prometheus_fixture() -> Iterator[PrometheusServer]:
    binary = shutil.which("prometheus") or "/usr/bin/prometheus"
    if not Path(binary).exists():
        pytest.fail("prometheus is not installed (apt-get install prometheus; .ci/run does)")
    directory = Path(tempfile.mkdtemp(prefix="opsgate-prometheus-"))
    with DemoProcess(port=0, https_port=0) as demo:
        for code, count in TRAFFIC.items():
            for _ in range(count):
                httpx.get(f"{demo.http_url}/status/{code}", timeout=5)
        demo_address = urlsplit(demo.http_url).netloc
        (directory / "p.yml").write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\nscrape_configs:\n"
            f"  - job_name: demo\n    static_configs: [{{targets: ['{demo_address}']}}]\n")
        port = free_port()
        log = directory / "log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [binary, f"--config.file={directory / 'p.yml'}",
                 f"--storage.tsdb.path={directory / 'data'}",
                 f"--web.listen-address=127.0.0.1:{port}"], stdout=out, stderr=out)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_for_data(url, process, log)
            yield PrometheusServer(url=url, demo=demo)
        finally:
            stop(process)
            shutil.rmtree(directory, ignore_errors=True)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a throwaway server, killing it if it does not exit within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def prometheus_with_dead_remote_read() -> Iterator[str]:
    """A real Prometheus (no scrape targets) whose remote_read endpoint refuses connections: every
    query touching a series selector answers `success` with a `warnings` entry (a partial answer)."""
    binary = shutil.which("prometheus") or "/usr/bin/prometheus"
    directory = Path(tempfile.mkdtemp(prefix="opsgate-prometheus-"))
    (directory / "p.yml").write_text(
        f"remote_read:\n  - url: http://127.0.0.1:{free_port()}/read\n    read_recent: true\n")
    port = free_port()
    with (directory / "log").open("wb") as out:
        process = subprocess.Popen(
            [binary, f"--config.file={directory / 'p.yml'}", f"--storage.tsdb.path={directory / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}"], stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/-/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"prometheus did not start: {(directory / 'log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(directory, ignore_errors=True)
