"""The policy both HTTP stacks share (probes/http_policy.py), each rule tried on both: the http
check (httpx) and the latency sampler (http.client), against real servers on loopback."""

from __future__ import annotations

import http.server
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from opsgate.errors import ProbeFailure
from opsgate.probes.http import fetch
from opsgate.probes.latency import probe
from opsgate.profile import load_profile
from opsgate.targets.http import HttpTarget
from opsgate.targets.latency import LatencyTarget
from tests.probes.test_http import serving
from tests.servers_http import Resetting, recorder

Seen = list[tuple[int, dict[str, str]]]
CREDENTIALS = {"bearer_token": "Tok-123456", "headers": {"X-Api-Key": "key-123456",
                                                          "X-Trace": "plain-value"}}


def via_http(url: str, **fields: Any) -> str:
    """The http check's request; the final status as text, or its failure."""
    try:
        response = fetch(HttpTarget.model_validate({"name": "t", "url": url, **fields}), 5)
    except ProbeFailure as failure:
        return str(failure)
    return str(response.status)


def via_latency(url: str, **fields: Any) -> str:
    """One latency sample's final status as text, or its error."""
    target = LatencyTarget.model_validate({"name": "t", "url": url, "samples": 1, "max": "5s",
                                           **fields})
    try:
        sample = probe(target, 5).samples[0]
    except ProbeFailure as failure:
        return str(failure)
    return str(sample.status) if sample.error is None else sample.error


STACKS: dict[str, Callable[..., str]] = {"httpx": via_http, "http.client": via_latency}
stack = pytest.mark.parametrize("send", STACKS.values(), ids=STACKS.keys())


@pytest.fixture
def pair() -> Iterator[tuple[int, int, Seen]]:
    """Two recording servers on two ports of 127.0.0.1 (two origins of one host)."""
    seen: Seen = []
    with serving(recorder(seen)) as first, serving(recorder(seen)) as second:
        yield first, second, seen


@stack
@pytest.mark.parametrize("to_host", ["127.0.0.1", "localhost"], ids=["other-port", "other-host"])
def test_credentials_never_leave_the_origin(send: Callable[..., str], to_host: str,
                                            pair: tuple[int, int, Seen]) -> None:
    first, second, seen = pair
    url = f"http://127.0.0.1:{first}/go?to=http://{to_host}:{second}/end"
    assert send(url, **CREDENTIALS) == "204"
    (_, sent), (port, forwarded) = seen
    assert sent["Authorization"] == "Bearer Tok-123456" and sent["X-Api-Key"] == "key-123456"
    assert port == second
    assert "Authorization" not in forwarded and "X-Api-Key" not in forwarded
    assert forwarded["X-Trace"] == "plain-value"  # not a credential: it travels


@stack
def test_credentials_stay_on_a_same_origin_redirect(send: Callable[..., str],
                                                    pair: tuple[int, int, Seen]) -> None:
    first, _, seen = pair
    assert send(f"http://127.0.0.1:{first}/go?to=/end", **CREDENTIALS) == "204"
    assert [headers.get("Authorization") for _, headers in seen] == ["Bearer Tok-123456"] * 2


@stack
def test_an_https_to_http_downgrade_drops_credentials(send: Callable[..., str], tmp_path: Path,
                                                      pair: tuple[int, int, Seen]) -> None:
    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    _, plain, seen = pair
    with serving(recorder(seen), context) as tls_port:
        url = f"https://127.0.0.1:{tls_port}/go?to=http://127.0.0.1:{plain}/end"
        assert send(url, ca_bundle=str(tmp_path / "ca.pem"), **CREDENTIALS) == "204"
    assert [("Authorization" in headers, "X-Api-Key" in headers) for _, headers in seen] == [
        (True, True), (False, False)]


@stack
def test_a_header_carrying_a_declared_secret_stays_with_its_origin(
        send: Callable[..., str], tmp_path: Path, pair: tuple[int, int, Seen]) -> None:
    # `X-Custom` names no credential: only the profile's `secrets:` says its value is one.
    first, second, seen = pair
    kind = "http" if send is via_http else "latency"
    extra = "" if kind == "http" else "\n    samples: 1\n    max: 5s"
    path = tmp_path / "profile.yaml"
    path.write_text(f"""name: p
secrets: [CUSTOM_SECRET]
{kind}:
  - name: t
    url: http://127.0.0.1:{first}/go?to=http://127.0.0.1:{second}/end
    headers: {{X-Custom: "${{CUSTOM_SECRET}}"}}{extra}
""")
    profile, _ = load_profile(path, {"CUSTOM_SECRET": "Cust0m-S3cret"})
    target = profile.targets(kind)[0]
    assert target.secret_headers == {"x-custom"}
    if kind == "http":
        fetch(target, 5)
    else:
        probe(target, 5)
    assert [headers.get("X-Custom") for _, headers in seen] == ["Cust0m-S3cret", None]


@stack
@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://h/"])
def test_a_redirect_to_a_non_http_scheme_fails_with_one_message(
        send: Callable[..., str], location: str, pair: tuple[int, int, Seen]) -> None:
    first, _, _ = pair
    url = f"http://127.0.0.1:{first}/go?to={location}"
    scheme = location.split(":")[0]
    assert f"GET {url}: redirected to {location}, a {scheme} URL: only http:// and https:// " \
           "redirects are followed" in send(url)


class BigHeaders(http.server.BaseHTTPRequestHandler):
    """`/?kb=N` answers with N KiB of headers, in 1 KiB lines."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        kib = int(self.path.split("kb=")[1])
        self.send_response(204)
        for i in range(kib):
            self.send_header(f"X-Filler-{i:04d}", "f" * 1000)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


class OneBigHeader(BigHeaders):
    """`/?kb=N` answers with one header line of N KiB."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.send_response(204)
        self.send_header("X-Big", "b" * 1024 * int(self.path.split("kb=")[1]))
        self.end_headers()


@stack
@pytest.mark.parametrize(("handler", "kib", "refused"), [
    (BigHeaders, 60, False), (BigHeaders, 80, True), (BigHeaders, 1000, True),
    (OneBigHeader, 100, True), (OneBigHeader, 1000, True),
], ids=["60KiB", "80KiB", "1MiB", "one-100KiB-line", "one-1MiB-line"])
def test_the_response_header_limit_is_the_same_in_both_stacks(
        send: Callable[..., str], handler: type[BigHeaders], kib: int, refused: bool) -> None:
    if send is via_latency and handler is BigHeaders and kib > 100:
        pytest.skip("http.client refuses more than 100 header lines first (its own fixed limit)")
    with serving(handler) as port:
        answer = send(f"http://127.0.0.1:{port}/?kb={kib}")
    if refused:
        assert "headers, over opsgate's 64KiB limit for a response's header block" in answer
    else:
        assert answer == "204"


@stack
def test_a_reset_connection_is_classified_by_errno(send: Callable[..., str]) -> None:
    with serving(Resetting) as port:
        answer = send(f"http://127.0.0.1:{port}/")
    assert f"connection reset by 127.0.0.1:{port} before a complete answer" in answer
