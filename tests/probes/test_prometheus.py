"""The Prometheus probe against a real Prometheus scraping the demo target."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from opsgate.errors import ProbeConfigError, ProtocolFailure, Unreachable
from opsgate.probes.metrics import probe
from opsgate.targets.metrics import MetricsTarget
from tests.conftest import free_port
from tests.servers_prometheus import (  # noqa: F401
    PrometheusServer,
    prometheus_fixture,
    prometheus_with_dead_remote_read,
)

BY_STATUS = 'sum by (status) (demo_http_requests_total{path="/status/{code}"})'


def target(url: str, query: str, **keys: object) -> MetricsTarget:
    return MetricsTarget.model_validate({"name": "q", "prometheus": url, "query": query, "max": 1,
                                         **keys})


def test_vector_series_carry_their_labels(prometheus: PrometheusServer) -> None:
    facts = probe(target(prometheus.url, BY_STATUS), 5.0)
    values = {dict(s.labels)["status"]: s.value for s in facts.series}
    assert values == {"201": 5.0, "500": 3.0, "404": 1.0}
    assert facts.no_data is None


def test_empty_vector_is_no_data(prometheus: PrometheusServer) -> None:
    facts = probe(target(prometheus.url, "opsgate_no_such_metric"), 5.0)
    assert facts.series == () and "empty vector" in (facts.no_data or "")


def test_nan_scalar_is_a_nan_value(prometheus: PrometheusServer) -> None:
    facts = probe(target(prometheus.url, "0/0"), 5.0)
    assert len(facts.series) == 1 and math.isnan(facts.series[0].value)


def test_bad_promql_is_a_config_error(prometheus: PrometheusServer) -> None:
    with pytest.raises(ProbeConfigError, match=r"Prometheus rejected the query \(bad_data\)"):
        probe(target(prometheus.url, "sum("), 5.0)


def test_range_vector_is_a_config_error(prometheus: PrometheusServer) -> None:
    with pytest.raises(ProbeConfigError, match=r"returned a matrix.*drop the range selector"):
        probe(target(prometheus.url, "demo_cache_hit_ratio[1m]"), 5.0)


def test_not_a_prometheus(prometheus: PrometheusServer) -> None:
    with pytest.raises(ProtocolFailure, match="not a Prometheus API answer"):
        probe(target(prometheus.demo.http_url, "up"), 5.0)


def test_unreachable_prometheus() -> None:
    port = free_port()
    with pytest.raises(Unreachable, match="connection refused"):
        probe(target(f"http://127.0.0.1:{port}", "up"), 5.0)


def test_prometheus_warnings_reach_the_verdict() -> None:
    from opsgate.judges.metrics import judge_metrics
    from opsgate.verdict import Verdict

    with prometheus_with_dead_remote_read() as url:
        query = target(url, "sum(up) or vector(0)")
        facts = probe(query, 5.0)
        scalar = probe(target(url, "scalar(sum(up))"), 5.0)
    assert [s.value for s in facts.series] == [0.0]
    assert len(facts.warnings) == 1 and "remote_read" in facts.warnings[0]
    assert "connection refused" in facts.warnings[0] and scalar.warnings == facts.warnings
    verdict = Verdict(query)
    judge_metrics(query, facts, verdict)
    [(level, message)] = [(f.level, f.message) for f in verdict.findings]
    assert level == "warn"
    assert message.startswith(f"Prometheus at {url} warned that its answer may be partial: remote_read")


def test_an_answer_without_warnings_has_none(prometheus: PrometheusServer) -> None:
    assert probe(target(prometheus.url, BY_STATUS), 5.0).warnings == ()


def test_a_fractional_timeout_is_sent_as_a_number(prometheus: PrometheusServer) -> None:
    assert probe(target(prometheus.url, BY_STATUS), 2.5).no_data is None


@contextmanager
def answering(status: int, body: bytes) -> Iterator[str]:
    """A stdlib HTTP server giving every GET the same answer (an auth proxy, a huge answer)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with suppress(OSError):
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("status", [401, 403])
def test_a_refusal_with_a_prometheus_error_body_is_broken_with_the_credentials_hint(status: int) -> None:
    body = json.dumps({"status": "error", "errorType": "unauthorized", "error": "invalid token"}).encode()
    with answering(status, body) as url, pytest.raises(ProbeConfigError) as raised:
        probe(target(url, "up"), 5.0)
    assert f"Prometheus at {url} refused the query ({status} " in str(raised.value)
    assert str(raised.value).endswith(": invalid token): check bearer_token / basic_auth / headers")


def test_an_answer_past_the_limit_says_so_and_names_the_limit() -> None:
    series = ",".join(f'{{"metric":{{"i":"{i:07d}"}},"value":[1,"1"]}}' for i in range(1_250_000))
    body = ('{"status":"success","data":{"resultType":"vector","result":[' + series + "]}}").encode()
    assert len(body) > 50_000_000
    with answering(200, body) as url, pytest.raises(ProtocolFailure) as raised:
        probe(target(url, "up"), 10.0)
    assert "the answer exceeded the 32MiB opsgate reads from Prometheus (status 200)" in str(raised.value)
    assert "not a Prometheus API answer" not in str(raised.value)
