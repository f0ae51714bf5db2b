"""The demo target over real HTTP(S): healthy mode, broken mode, and its process lifecycle.

Healthy-mode health checks expect the local Redis and PostgreSQL the project's tests run against
(OPSGATE_DEMO_REDIS_URL / OPSGATE_DEMO_DATABASE_URL, defaults on 127.0.0.1).
"""

from __future__ import annotations

import signal
import socket
import ssl
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from opsgate.demo import DemoConfig, DemoError, DemoProcess
from opsgate.demo.app import resolve, route

ANY_PORT = DemoConfig(port=0, https_port=0)


# `demo` and `broken_demo` are the session-wide demo targets of tests/conftest.py.


@pytest.fixture(scope="module")
def client(demo: DemoProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=demo.http_url, timeout=10) as c:
        yield c


@pytest.fixture(scope="module")
def broken_client(broken_demo: DemoProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=broken_demo.http_url, timeout=10) as c:
        yield c


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def metric_value(text: str, name: str, labels: dict[str, str] | None = None) -> float | None:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and (labels or {}).items() <= sample.labels.items():
                return sample.value
    return None


# --- healthy mode ---------------------------------------------------------------------------------


def test_health_is_ok_with_a_real_redis_ping(client: httpx.Client) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"status": "ok", "redis": True}


def test_ready_checks_redis_and_postgres(client: httpx.Client) -> None:
    r = client.get("/health/ready")
    assert r.status_code == 200
    assert r.json() == {"status": "ready", "checks": {"redis": True, "postgres": True}}


def test_https_is_trusted_with_the_written_ca_bundle(demo: DemoProcess) -> None:
    assert demo.ca_bundle.read_text().startswith("-----BEGIN CERTIFICATE-----")
    context = ssl.create_default_context(cafile=str(demo.ca_bundle))
    for base in (demo.https_url, demo.https_url.replace("127.0.0.1", "localhost")):
        r = httpx.get(f"{base}/health", verify=context, timeout=10)
        assert r.status_code == 200
        assert r.json()["status"] == "ok"
    r = httpx.get(f"{demo.https_url}/", verify=context, timeout=10)
    assert r.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


def test_https_is_not_trusted_without_the_ca_bundle(demo: DemoProcess) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{demo.https_url}/health", timeout=10)


def test_index_sends_strong_security_headers(client: httpx.Client) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "<h1>opsgate demo shop</h1>" in r.text
    h = r.headers
    assert h["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert h["content-security-policy"] == (
        "default-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; "
        "form-action 'self'; base-uri 'self'"
    )
    assert h["x-content-type-options"] == "nosniff"
    assert h["x-frame-options"] == "DENY"
    assert h["referrer-policy"] == "strict-origin-when-cross-origin"
    assert h["permissions-policy"] == "geolocation=()"
    assert h["cross-origin-resource-policy"] == "same-origin"
    assert h["cross-origin-opener-policy"] == "same-origin"
    assert h["server"] == "opsgate-demo"
    assert "x-powered-by" not in h


def test_account_sets_hardened_cookies(client: httpx.Client) -> None:
    r = client.get("/account")
    assert r.status_code == 200
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers.get_list("set-cookie") == [
        "sessionid=demo-session-1234; Secure; HttpOnly; SameSite=Lax; Path=/",
        "prefs=theme-dark; Secure; HttpOnly; SameSite=Strict",
    ]


def test_prometheus_metrics_count_requests(client: httpx.Client) -> None:
    before = (
        metric_value(
            client.get("/metrics").text,
            "demo_http_requests_total",
            {"path": "/not-json", "status": "200"},
        )
        or 0.0
    )
    client.get("/not-json")
    client.get("/not-json")
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=")
    text = r.text
    labels = {"path": "/not-json", "status": "200"}
    assert metric_value(text, "demo_http_requests_total", labels) == before + 2
    assert metric_value(text, "demo_http_request_duration_seconds_count", {"path": "/not-json"})
    assert metric_value(text, "demo_cache_hit_ratio") == pytest.approx(0.83)
    # The /metrics request being answered is itself in flight.
    assert metric_value(text, "demo_active_requests") == 1.0


def test_metrics_json_is_within_typical_limits(client: httpx.Client) -> None:
    assert client.get("/metrics.json").json() == {
        "endpoints": {
            "/comps": {"p95_response_time_ms": 420, "requests": 1234, "error_rate": 0.002}
        },
        "cache": {"hit_rate": 0.83, "size": 512},
        "active_requests": 3,
    }


def test_slow_sleeps_as_asked(client: httpx.Client) -> None:
    started = time.perf_counter()
    r = client.get("/slow", params={"ms": 300})
    assert time.perf_counter() - started >= 0.3
    assert r.json() == {"slept_ms": 300}
    assert client.get("/slow", params={"ms": "soon"}).status_code == 400


@pytest.mark.parametrize("code", [200, 201, 404, 418, 500, 503])
def test_status_answers_the_code_asked_for(client: httpx.Client, code: int) -> None:
    r = client.get(f"/status/{code}")
    assert r.status_code == code
    assert r.json()["status"] == code


def test_status_204_has_no_body(client: httpx.Client) -> None:
    r = client.get("/status/204")
    assert r.status_code == 204
    assert r.content == b""


def test_status_rejects_nonsense(client: httpx.Client) -> None:
    assert client.get("/status/99").status_code == 400
    assert client.get("/status/abc").status_code == 400


def test_redirect_to_a_local_path(client: httpx.Client) -> None:
    r = client.get("/redirect", params={"to": "/health"})
    assert r.status_code == 302
    assert r.headers["location"] == "/health"
    assert client.get("/redirect", params={"to": "/health"}, follow_redirects=True).json() == {
        "status": "ok",
        "redis": True,
    }
    assert client.get("/redirect", params={"to": "https://evil.example"}).status_code == 400


def test_redirect_loop_never_ends(client: httpx.Client) -> None:
    r = client.get("/redirect-loop")
    assert (r.status_code, r.headers["location"]) == (302, "/redirect-loop")
    with pytest.raises(httpx.TooManyRedirects):
        client.get("/redirect-loop", follow_redirects=True)


def test_not_json_lies_about_its_content_type(client: httpx.Client) -> None:
    r = client.get("/not-json")
    assert r.headers["content-type"] == "application/json"
    assert r.text == "<html>oops</html>"


def test_unknown_path_is_a_json_404(client: httpx.Client) -> None:
    r = client.get("/no/such/page")
    assert r.status_code == 404
    assert r.json() == {"error": "not found", "path": "/no/such/page"}


def test_wrong_method_is_405(client: httpx.Client) -> None:
    r = client.post("/health")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET"


def test_big_streams_past_10_mib_and_survives_the_client_leaving(client: httpx.Client) -> None:
    received = 0
    with client.stream("GET", "/big") as r:
        assert r.status_code == 200
        assert r.headers["transfer-encoding"] == "chunked"
        for chunk in r.iter_bytes():
            received += len(chunk)
            if received > 10 * 1024 * 1024:
                break
    assert received > 10 * 1024 * 1024
    assert client.get("/health").status_code == 200


def test_head_big_sends_no_body(client: httpx.Client) -> None:
    r = client.head("/big")
    assert r.status_code == 200
    assert r.content == b""


# --- broken mode ----------------------------------------------------------------------------------


def test_broken_health_is_degraded(broken_client: httpx.Client) -> None:
    r = broken_client.get("/health")
    assert r.status_code == 503
    assert r.json() == {"status": "degraded", "redis": False}


def test_broken_ready_fails_on_postgres(broken_client: httpx.Client) -> None:
    r = broken_client.get("/health/ready")
    assert r.status_code == 503
    assert r.json()["checks"]["postgres"] is False


def test_broken_security_headers_are_weak(broken_client: httpx.Client) -> None:
    for path in ("/", "/account"):
        h = broken_client.get(path).headers
        assert "strict-transport-security" not in h
        assert "x-frame-options" not in h
        assert "x-content-type-options" not in h
        assert h["content-security-policy"] == (
            "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'"
        )
        assert h["referrer-policy"] == "unsafe-url"
        assert h["x-powered-by"] == "Express 4.17.1"
        assert h["server"] == "nginx/1.18.0"


def test_broken_cookie_has_no_flags(broken_client: httpx.Client) -> None:
    assert broken_client.get("/account").headers.get_list("set-cookie") == [
        "sessionid=demo-session-1234; Path=/"
    ]


def test_broken_metrics_are_past_typical_limits(broken_client: httpx.Client) -> None:
    data = broken_client.get("/metrics.json").json()
    assert data["endpoints"]["/comps"]["p95_response_time_ms"] == 2600
    assert data["endpoints"]["/comps"]["error_rate"] == 0.04
    assert data["cache"]["hit_rate"] == 0.31
    text = broken_client.get("/metrics").text
    assert metric_value(text, "demo_cache_hit_ratio") == pytest.approx(0.31)


# --- dependencies down ----------------------------------------------------------------------------


def test_health_degrades_when_redis_and_postgres_are_unreachable() -> None:
    port = closed_port()
    env = {
        "OPSGATE_DEMO_REDIS_URL": f"redis://127.0.0.1:{port}/0",
        "OPSGATE_DEMO_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/postgres",
    }
    with DemoProcess(ANY_PORT, env=env) as demo:
        r = httpx.get(f"{demo.http_url}/health", timeout=10)
        assert (r.status_code, r.json()) == (503, {"status": "degraded", "redis": False})
        r = httpx.get(f"{demo.http_url}/health/ready", timeout=10)
        assert r.status_code == 503
        assert r.json() == {"status": "not ready", "checks": {"redis": False, "postgres": False}}


# --- process lifecycle ----------------------------------------------------------------------------


def test_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(DemoError) as info:
            DemoProcess(DemoConfig(port=port, https_port=0)).start()
    assert str(info.value) == (
        f"demo target cannot listen on 127.0.0.1:{port}: address already in use"
    )


def test_hang_times_out_and_does_not_block_stop() -> None:
    demo = DemoProcess(ANY_PORT).start()
    try:
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(f"{demo.http_url}/hang", timeout=httpx.Timeout(10, read=0.5))
        # Leave a second /hang pending while stopping.
        pending = threading.Thread(target=_expect_drop, args=(f"{demo.http_url}/hang",))
        pending.start()
        time.sleep(0.2)
        proc = demo._proc
        assert proc is not None
    finally:
        started = time.perf_counter()
        demo.stop()
    assert time.perf_counter() - started < 4, "stop() waited for /hang and had to kill"
    assert proc.returncode == 0
    pending.join(timeout=5)
    assert not pending.is_alive()


def _expect_drop(url: str) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(url, timeout=30)


def test_keyword_arguments_override_the_config(tmp_path: Path) -> None:
    process = DemoProcess(
        ANY_PORT, https_port=8999, ca_bundle=str(tmp_path / "ca.pem"), broken=True
    )
    assert process.config == DemoConfig(
        port=0, https_port=8999, ca_bundle=tmp_path / "ca.pem", broken=True
    )


def test_urls_are_unavailable_before_start() -> None:
    with pytest.raises(DemoError, match="not running"):
        _ = DemoProcess(ANY_PORT).http_url


def test_ca_bundle_goes_where_asked(tmp_path: Path) -> None:
    bundle = tmp_path / "nested" / "dir" / "ca.pem"
    with DemoProcess(DemoConfig(port=0, https_port=0, ca_bundle=bundle)) as demo:
        assert demo.ca_bundle == bundle
        r = httpx.get(f"{demo.https_url}/", verify=demo.ssl_context(), timeout=10)
        assert r.status_code == 200
    assert bundle.exists()


def test_cli_prints_the_ready_line_and_stops_on_sigint(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    command = [
        sys.executable,
        "-m",
        "opsgate.demo",
        "--port",
        "0",
        "--https-port",
        "0",
        "--ca-bundle",
        str(bundle),
    ]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()
            assert line.startswith("opsgate demo ready http=http://127.0.0.1:")
            assert " https=https://127.0.0.1:" in line
            assert bundle.exists()
            http_url = line.split()[3].removeprefix("http=")
            assert httpx.get(f"{http_url}/health", timeout=10).status_code == 200
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=5) == 0
        finally:
            if proc.poll() is None:
                proc.kill()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_child_exits_when_its_parent_is_killed() -> None:
    parent_script = textwrap.dedent("""
        import time
        from opsgate.demo import DemoConfig, DemoProcess
        demo = DemoProcess(DemoConfig(port=0, https_port=0)).start()
        print(demo.pid, flush=True)
        time.sleep(60)
    """)
    command = [sys.executable, "-c", parent_script]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as parent:
        assert parent.stdout is not None
        child_pid = int(parent.stdout.readline())
        parent.kill()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(child_pid):
        time.sleep(0.05)
    assert not _alive(child_pid), f"demo child {child_pid} outlived its killed parent"


def _alive(pid: int) -> bool:
    # The orphan is reparented (to init or a subreaper), so a zombie may linger briefly: read
    # its state rather than trusting kill(pid, 0).
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


# --- route registry -------------------------------------------------------------------------------


def test_routes_capture_path_params() -> None:
    found, params, _ = resolve("GET", "/status/418")
    assert found is not None and found.pattern == "/status/{code}"
    assert params == {"code": "418"}
    assert resolve("POST", "/health")[2] == ["GET"]


def test_a_route_cannot_be_registered_twice() -> None:
    with pytest.raises(ValueError, match="GET /health is already registered"):
        route("GET", "/health")(lambda req: None)  # type: ignore[arg-type,return-value]
