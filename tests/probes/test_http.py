"""The HTTP probe against real listeners: facts on success, one precise failure per phase."""

from __future__ import annotations

import datetime as dt
import http.server
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import trustme

from opsgate.demo import DemoProcess
from opsgate.errors import ProbeConfigError, ProbeTimeout, ProtocolFailure, TlsFailure, Unreachable
from opsgate.probes.http import fetch
from opsgate.targets.http import HttpTarget
from tests.conftest import free_port, unavailable


def target(url: str, **fields: object) -> HttpTarget:
    return HttpTarget.model_validate({"name": "t", "url": url, **fields})


def test_facts_of_a_healthy_json_endpoint(demo: DemoProcess) -> None:
    response = fetch(target(f"{demo.http_url}/health"), 5)
    assert response.status == 200
    assert response.json() == {"status": "ok", "redis": True}
    assert response.header("content-type") == "application/json"
    assert 0 < response.elapsed < 5
    assert "HTTP/1.1 200 OK" in response.evidence()


def test_https_with_the_profile_ca_bundle(demo: DemoProcess) -> None:
    response = fetch(target(f"{demo.https_url}/", ca_bundle=str(demo.ca_bundle)), 5)
    assert response.status == 200 and response.https
    assert "max-age=31536000" in (response.header("strict-transport-security") or "")


def test_untrusted_certificate_fails_the_handshake(demo: DemoProcess) -> None:
    with pytest.raises(TlsFailure, match=r"TLS handshake failed: unable to get local issuer certificate"):
        fetch(target(f"{demo.https_url}/"), 5)


def test_insecure_skips_verification_only_when_asked(demo: DemoProcess) -> None:
    assert fetch(target(f"{demo.https_url}/", insecure=True), 5).status == 200


def test_missing_ca_bundle_is_a_configuration_error(demo: DemoProcess, tmp_path: Path) -> None:
    with pytest.raises(ProbeConfigError, match="ca_bundle .*nope.pem does not exist"):
        fetch(target(f"{demo.https_url}/", ca_bundle=str(tmp_path / "nope.pem")), 5)


def test_refused_connection() -> None:
    port = free_port()
    with pytest.raises(Unreachable, match=f"connection refused by 127.0.0.1:{port}: is the service"):
        fetch(target(f"http://127.0.0.1:{port}/health"), 2)


def test_hung_server_costs_at_most_its_timeout(demo: DemoProcess) -> None:
    started = time.perf_counter()
    with pytest.raises(ProbeTimeout, match=r"no complete response within 1s"):
        fetch(target(f"{demo.http_url}/hang"), 1)
    assert time.perf_counter() - started < 5  # /hang never answers


def test_redirect_loop(demo: DemoProcess) -> None:
    with pytest.raises(ProtocolFailure, match="redirect loop, more than 5 redirects"):
        fetch(target(f"{demo.http_url}/redirect-loop"), 5)


def test_redirects_are_followed_and_recorded(demo: DemoProcess) -> None:
    response = fetch(target(f"{demo.http_url}/redirect?to=/health"), 5)
    assert response.status == 200
    assert response.redirects == [(302, "/health")]
    unfollowed = fetch(target(f"{demo.http_url}/redirect?to=/health", follow_redirects=False), 5)
    assert unfollowed.status == 302


def test_endless_body_is_cut_at_max_body(demo: DemoProcess) -> None:
    started = time.perf_counter()
    response = fetch(target(f"{demo.http_url}/big", max_body="256KiB"), 5)
    assert response.truncated and len(response.body) == 256 * 1024
    assert time.perf_counter() - started < 3
    with pytest.raises(ProtocolFailure, match="body exceeds max_body"):
        response.json()


def test_non_json_body_where_json_is_expected(demo: DemoProcess) -> None:
    response = fetch(target(f"{demo.http_url}/not-json"), 5)
    with pytest.raises(ProtocolFailure, match=r"expected a JSON body, got application/json.*'<html>oops"):
        response.json()


def test_request_method_headers_and_auth_are_sent() -> None:
    seen: dict[str, str] = {}

    class Echo(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            seen.update(self.headers.items())
            seen["body"] = self.rfile.read(int(self.headers["Content-Length"])).decode()
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    with serving(Echo) as port:
        response = fetch(target(f"http://127.0.0.1:{port}/", method="POST", body_json={"a": 1},
                                headers={"X-Api-Key": "k"}, bearer_token="tok"), 5)
    assert response.status == 204
    assert seen["X-Api-Key"] == "k" and seen["Authorization"] == "Bearer tok"
    assert seen["body"] == '{"a":1}'


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.mark.parametrize(("identity", "not_after", "message"), [
    ("127.0.0.1", dt.datetime(2020, 1, 1, tzinfo=dt.UTC), "certificate has expired"),
    ("other.example.test", None, "IP address mismatch, certificate is not valid for '127.0.0.1'"),
], ids=["expired", "wrong-host"])
def test_bad_certificates_fail_with_the_reason(
    ca: trustme.CA, tmp_path: Path, identity: str, not_after: dt.datetime | None, message: str,
) -> None:
    leaf = ca.issue_cert(identity, not_after=not_after) if not_after else ca.issue_cert(identity)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    leaf.configure_cert(context)
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    with serving(http.server.BaseHTTPRequestHandler, context) as port, \
            pytest.raises(TlsFailure, match=f"TLS handshake failed: {message}"):
        fetch(target(f"https://127.0.0.1:{port}/", ca_bundle=str(tmp_path / "ca.pem")), 5)


def test_dns_failure_has_its_own_message() -> None:
    # In a network namespace of its own the resolver is unreachable: a real lookup failure that
    # sends nothing off this machine.
    code = ("from opsgate.probes.http import fetch; from opsgate.targets.http import HttpTarget\n"
            "t = HttpTarget(name='t', url='http://api.nonexistent.test/health')\n"
            "try: fetch(t, 2)\nexcept Exception as e: print(type(e).__name__, e)")
    result = subprocess.run(["unshare", "-n", sys.executable, "-c", code],
                            capture_output=True, text=True, timeout=30)
    if "unshare failed" in result.stderr or "Operation not permitted" in result.stderr:
        unavailable(f"cannot make a network namespace here: {result.stderr.strip()}")
    assert "Unreachable GET http://api.nonexistent.test/health: DNS lookup of " \
           "api.nonexistent.test failed" in result.stdout


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # failed handshakes are what these tests provoke


class serving:  # noqa: N801 - reads as a with-statement verb
    """A threaded HTTP(S) server on a free loopback port for the duration of a with-block."""

    def __init__(self, handler: type[http.server.BaseHTTPRequestHandler],
                 context: ssl.SSLContext | None = None) -> None:
        self.server = _QuietServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        if context is not None:
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True,
                                                     do_handshake_on_connect=False)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> int:
        self.thread.start()
        return self.server.server_address[1]

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()




def test_cookies_never_carry_over_between_checks() -> None:
    seen: list[str | None] = []

    class CookieJarProbe(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            seen.append(self.headers.get("Cookie"))
            self.send_response(200)
            if self.path == "/login":
                self.send_header("Set-Cookie", "sessionid=abc123; Path=/")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    with serving(CookieJarProbe) as port:
        fetch(target(f"http://127.0.0.1:{port}/login"), 5)
        fetch(target(f"http://127.0.0.1:{port}/health"), 5)
    assert seen == [None, None]
