"""The latency sampler against the demo target's /latency route, whose distribution is known:
exactly 1 in `every` requests sleeps `slow` ms, the others `fast` ms."""

from __future__ import annotations

import socket
import threading
import uuid

import pytest

from opsgate.demo import DemoProcess
from opsgate.errors import ProbeConfigError, ProbeFailure
from opsgate.probes.latency import probe
from opsgate.stats import percentile
from opsgate.targets.latency import LatencyTarget
from tests.conftest import free_port
from tests.probes.test_http import serving
from tests.servers_http import Trickle

# Measured = injected sleep + client/server overhead: never much below; above by less than half
# the 180 ms between the two modes, so each percentile still tells which mode it comes from
# (generous: the suite runs under `-n 4` on two cores, where a run of stalls adds tens of ms).
BELOW, ABOVE = 0.002, 0.085


def latency_url(demo: DemoProcess, fast: int = 20, slow: int = 200, every: int = 10) -> str:
    return f"{demo.http_url}/latency?fast={fast}&slow={slow}&every={every}&key={uuid.uuid4().hex}"


def test_percentiles_match_the_injected_distribution(demo: DemoProcess) -> None:
    target = LatencyTarget(name="t", url=latency_url(demo), samples=200, concurrency=8, warmup=5,
                           p95="1s")
    facts = probe(target, 30.0)
    values = facts.latencies
    assert len(values) == 200 and not facts.errors and not facts.cut_short
    # 90 % at 20 ms, 10 % at 200 ms: p50 = 20 ms, p95 = p99 = max = 200 ms.
    for level, truth in ((0.5, 0.020), (0.95, 0.200), (0.99, 0.200)):
        assert truth - BELOW <= percentile(values, level) <= truth + ABOVE, level
    # The maximum is one sample: a single scheduling stall on a busy 2-core machine moves it.
    assert 0.200 - BELOW <= max(values) <= 0.200 + 0.25
    slow = sum(1 for v in values if v >= 0.150)
    assert 20 <= slow <= 23  # exactly 20 injected; a rare stall under load may add one or two
    assert len(facts.phase("ttfb")) == 200
    assert len(facts.phase("connect")) <= 8  # keep-alive: at most one connect per connection


def test_concurrency_bounds_the_wall_time(demo: DemoProcess) -> None:
    target = LatencyTarget(name="t", url=f"{demo.http_url}/slow?ms=100", samples=40,
                           concurrency=10, p95="1s")
    facts = probe(target, 30.0)
    assert 0.39 <= facts.wall < 3  # 4 rounds of 100 ms, not 40 (4 s)


def test_pacing_spreads_the_requests(demo: DemoProcess) -> None:
    target = LatencyTarget(name="t", url=f"{demo.http_url}/slow?ms=1", samples=20, rate="40/s",
                           p95="1s")
    facts = probe(target, 30.0)
    starts = sorted(s.started for s in facts.samples)
    assert starts[-1] >= 19 / 40 - 0.01  # the 20th request starts no earlier than its slot


def test_keepalive_off_connects_every_time(demo: DemoProcess) -> None:
    target = LatencyTarget(name="t", url=f"{demo.https_url}/slow?ms=1", samples=5, keepalive=False,
                           ca_bundle=str(demo.ca_bundle), p50="1s")
    facts = probe(target, 30.0)
    assert len(facts.phase("connect")) == 5 and len(facts.phase("tls")) == 5


def test_errors_are_samples_not_exceptions(demo: DemoProcess) -> None:
    target = LatencyTarget(name="t", url=f"{demo.http_url}/status/503", samples=5, p50="1s")
    facts = probe(target, 30.0)
    assert [s.status for s in facts.errors] == [503] * 5
    assert len(facts.latencies) == 5


def test_timeouts_count_with_the_time_they_ran(demo: DemoProcess) -> None:
    target = LatencyTarget(name="t", url=f"{demo.http_url}/slow?ms=3000", samples=2, p50="1s")
    facts = probe(target, 0.2)  # `timeout` is per request
    assert len(facts.samples) == 2 and not facts.cut_short
    assert all(s.timed_out and s.total >= 0.19 for s in facts.samples)
    assert "no complete response within 200ms" in (facts.errors[0].error or "")


def test_a_trickling_body_ends_at_the_request_timeout() -> None:
    # Content-Length 100000, then one byte every 0.2 s: each receive used to get a fresh timeout,
    # so one request lasted as long as the server kept trickling (40 s).
    with serving(Trickle) as port:
        target = LatencyTarget(name="t", url=f"http://127.0.0.1:{port}/", samples=2,
                               max_duration="5s", p50="1s")
        facts = probe(target, 1.0)
    assert [s.timed_out for s in facts.samples] == [True, True] and not facts.cut_short
    assert all(1.0 <= (s.total or 0) < 2.0 for s in facts.samples)
    assert facts.samples[0].error == "no complete response within 1s (timed out)"


def test_the_run_budget_cuts_sampling_short_without_counting_errors(demo: DemoProcess) -> None:
    # A request cut off by the run's end is no fact about the endpoint: it is left out, and the
    # run reads "cut short", never "1 of 4 requests failed".
    target = LatencyTarget(name="t", url=f"{demo.http_url}/slow?ms=300", samples=50,
                           max_duration="1s", p95="1s")
    facts = probe(target, 3.0)
    assert facts.cut_short and 2 <= len(facts.samples) < 50
    assert facts.errors == [] and facts.budget == 1.0


def test_the_default_run_budget_fits_the_plan() -> None:
    target = LatencyTarget(name="t", url="http://127.0.0.1:1/", samples=100, p95="1s")
    assert target.run_budget(3.0) == 301.0  # 100 rounds of one request, each up to 3 s, + 1 s
    paced = LatencyTarget(name="t", url="http://127.0.0.1:1/", samples=20, warmup=4,
                          concurrency=4, rate="10/s", p95="1s")
    assert paced.run_budget(2.0) == 6 * 2.0 + 24 / 10 + 1
    assert target.run_budget(60.0) == 600.0  # never more than k6's default maxDuration
    bounded = LatencyTarget(name="t", url="http://127.0.0.1:1/", samples=100, p95="1s",
                            max_duration="45s")
    assert bounded.run_budget(3.0) == 45.0


def test_refused_connections_fail_the_probe() -> None:
    port = free_port()
    target = LatencyTarget(name="t", url=f"http://127.0.0.1:{port}/", samples=3, p50="1s")
    with pytest.raises(ProbeFailure, match=f"all 3 requests failed .*connection refused by 127.0.0.1:{port}"):
        probe(target, 5.0)


def test_a_rate_that_cannot_fit_the_run_budget_is_a_config_error(demo: DemoProcess) -> None:
    target = LatencyTarget(name="t", url=demo.http_url, samples=10_000, rate="10/s", p95="1s")
    with pytest.raises(ProbeConfigError, match="10000 requests at 10/s need 16.7m, more than "
                                               "the run's 10m budget; set the target's max_duration"):
        probe(target, 5.0)


@pytest.mark.parametrize(("auth", "header"), [
    ({"bearer_token": "tok"}, "Bearer tok"),
    ({"basic_auth": {"username": "ops", "password": "pä:ss"}}, "Basic b3BzOnDDpDpzcw=="),
    ({"basic_auth": {"username": "ops", "password": "x"}, "bearer_token": "tok"}, "Bearer tok"),
    ({}, None),
])
def test_samples_carry_the_targets_auth(auth: dict[str, object], header: str | None) -> None:
    import http.server

    from tests.probes.test_http import serving

    seen: list[str | None] = []

    class Echo(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            seen.append(self.headers.get("Authorization"))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    with serving(Echo) as port:
        target = LatencyTarget.model_validate(
            {"name": "t", "url": f"http://127.0.0.1:{port}/", "samples": 3, "p50": "1s", **auth})
        facts = probe(target, 10.0)
    assert [s.status for s in facts.samples] == [204] * 3
    assert seen == [header] * 3


def test_redirects_are_followed_and_timed_as_one_sample(demo: DemoProcess) -> None:
    url = f"{demo.http_url}/redirect?to=%2Fslow%3Fms%3D300"
    facts = probe(LatencyTarget(name="t", url=url, samples=2, p50="1s"), 10.0)
    assert [s.status for s in facts.samples] == [200] * 2
    assert all(s.total is not None and s.total >= 0.3 for s in facts.samples)
    unfollowed = probe(LatencyTarget(name="t", url=url, samples=2, follow_redirects=False, p50="1s"), 10.0)
    assert [s.status for s in unfollowed.samples] == [302] * 2
    assert all(s.total is not None and s.total < 0.3 for s in unfollowed.samples)


def test_a_redirect_loop_fails_the_probe(demo: DemoProcess) -> None:
    target = LatencyTarget(name="t", url=f"{demo.http_url}/redirect-loop", samples=2, p50="1s")
    with pytest.raises(ProbeFailure, match="all 2 requests failed .*redirect loop, more than 20 redirects"):
        probe(target, 10.0)


def test_credentials_stay_with_their_host_across_redirects() -> None:
    import http.server

    from tests.probes.test_http import serving

    seen: list[tuple[str, str | None]] = []

    class Hop(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            seen.append((self.headers["Host"].split(":")[0], self.headers.get("Authorization")))
            self.send_response(302 if self.path == "/start" else 204)
            if self.path == "/start":
                self.send_header("Location", f"http://localhost:{self.server.server_address[1]}/end")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    with serving(Hop) as port:
        target = LatencyTarget(name="t", url=f"http://127.0.0.1:{port}/start", samples=1,
                               bearer_token="tok", max="1s")
        facts = probe(target, 10.0)
    assert [s.status for s in facts.samples] == [204]
    assert seen == [("127.0.0.1", "Bearer tok"), ("localhost", None)]


def test_connections_the_server_closed_while_idle_are_replaced() -> None:
    import http.server

    from tests.probes.test_http import serving

    class ShortKeepalive(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 0.05  # the server drops a connection idle for 50 ms

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    with serving(ShortKeepalive) as port:
        target = LatencyTarget(name="t", url=f"http://127.0.0.1:{port}/", samples=4, rate="5/s",
                               p50="1s")
        facts = probe(target, 10.0)
    assert [s.status for s in facts.samples] == [204] * 4 and not facts.errors
    # Paced 200 ms apart, requests find their connection closed: reconnects, not errors (at
    # least one; a server thread starved on a loaded machine may close a connection late).
    assert len(facts.phase("connect")) >= 2


def test_a_server_that_breaks_http_fails_the_probe() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        def answer_garbage() -> None:
            for _ in range(2):
                connection, _ = listener.accept()
                with connection:
                    connection.recv(4096)
                    connection.sendall(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")

        thread = threading.Thread(target=answer_garbage, daemon=True)
        thread.start()
        target = LatencyTarget(name="t", url=f"http://127.0.0.1:{listener.getsockname()[1]}/",
                               samples=2, p50="1s")
        with pytest.raises(ProbeFailure, match="the server broke the HTTP protocol: BadStatusLine"):
            probe(target, 5.0)
        thread.join(5)


def test_tls_is_verified_unless_insecure(demo: DemoProcess) -> None:
    url = f"{demo.https_url}/status/200"
    with pytest.raises(ProbeFailure, match="TLS handshake failed: .*certificate"):
        probe(LatencyTarget(name="t", url=url, samples=1, max="1s"), 5.0)
    facts = probe(LatencyTarget(name="t", url=url, samples=2, insecure=True, p50="1s"), 5.0)
    assert [s.status for s in facts.samples] == [200] * 2 and len(facts.phase("tls")) == 1


def test_head_requests_read_no_body(demo: DemoProcess) -> None:
    facts = probe(LatencyTarget(name="t", url=f"{demo.http_url}/status/200", method="HEAD", samples=2,
                                p50="1s"), 5.0)
    assert [s.status for s in facts.samples] == [200] * 2
