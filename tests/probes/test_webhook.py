"""Webhook probe against real receivers; stripe and standard verify with the providers' libraries."""

from __future__ import annotations

import base64

import pytest

from opsgate.errors import ProbeTimeout, Unreachable
from opsgate.probes.webhook import probe
from opsgate.targets.webhook import WebhookTarget
from tests.servers_tls import free_port
from tests.servers_webhooks import receiver

SECRETS = {
    "stripe": "whsec_test_secret_for_opsgate",
    "standard": "whsec_" + base64.b64encode(b"k" * 24).decode(),
    "github": "github-secret",
    "shopify": "shopify-secret",
    "hmac": "hmac-secret",
}


def target(url: str, scheme: str, **extra: object) -> WebhookTarget:
    return WebhookTarget(name=scheme, url=url, scheme=scheme, secret=SECRETS[scheme], **extra)


@pytest.mark.parametrize("scheme", sorted(SECRETS))
def test_signatures_are_accepted_by_the_receivers_verifier(scheme: str) -> None:
    with receiver(scheme, SECRETS[scheme]) as app:
        facts = probe(target(app.url, scheme), 5)
    assert [(e.label, e.status) for e in facts.exchanges] == [("correct secret", 200), ("wrong secret", 400)]


@pytest.mark.parametrize("scheme", ["stripe", "standard"])
def test_stale_timestamp_is_rejected_by_the_providers_library(scheme: str) -> None:
    with receiver(scheme, SECRETS[scheme]) as app:
        facts = probe(target(app.url, scheme, reject_stale=True), 5)
    assert facts.get("stale timestamp") is not None
    assert facts.get("stale timestamp").status == 400  # type: ignore[union-attr]


def test_the_stale_event_is_stamped_stale_by_before_the_others() -> None:
    with receiver("standard", SECRETS["standard"]) as app:
        probe(target(app.url, "standard", reject_stale=True, stale_by="1h"), 5)
    stamps = [int(headers["webhook-timestamp"]) for headers in app.received]
    assert len(stamps) == 3
    assert stamps[0] == stamps[1]  # correct and wrong secret: now
    assert stamps[2] == stamps[0] - 3600


def test_receiver_with_another_secret_rejects_our_event() -> None:
    with receiver("stripe", "whsec_the_app_has_rotated_it") as app:
        facts = probe(target(app.url, "stripe"), 5)
    assert facts.get("correct secret").status == 400  # type: ignore[union-attr]


def test_sent_headers_and_event() -> None:
    with receiver("github", SECRETS["github"]) as app:
        probe(target(app.url, "github", event_type="ping", headers={"X-Extra": "1"}), 5)
    first = {k.lower(): v for k, v in app.received[0].items()}
    assert first["x-github-event"] == "ping"
    assert first["x-extra"] == "1"
    assert first["content-type"] == "application/json"
    assert first["x-hub-signature-256"].startswith("sha256=")


def test_refused_connection_is_unreachable() -> None:
    port = free_port()
    with pytest.raises(Unreachable, match="connection refused by 127.0.0.1:[0-9]+: is the service running"):
        probe(target(f"http://127.0.0.1:{port}/hook", "github"), 2)


def test_a_standard_secret_without_base64_padding_is_accepted_as_the_library_does() -> None:
    unpadded = "whsec_" + base64.b64encode(b"k" * 25).decode().rstrip("=")
    assert not unpadded.endswith("=") and len(unpadded.removeprefix("whsec_")) % 4
    with receiver("standard", unpadded) as app:
        facts = probe(WebhookTarget(name="s", url=app.url, scheme="standard", secret=unpadded), 5)
    assert [(e.label, e.status) for e in facts.exchanges] == [("correct secret", 200), ("wrong secret", 400)]


def test_a_standard_secret_that_is_not_base64_is_a_profile_error() -> None:
    with pytest.raises(ValueError, match="must be 'whsec_' followed by base64"):
        WebhookTarget(name="s", url="http://127.0.0.1:1/", scheme="standard", secret="whsec_not*base64")


def test_the_default_event_is_shaped_like_the_schemes_own() -> None:
    from opsgate.probes.webhook import default_event

    stripe = default_event(target("http://127.0.0.1:1/", "stripe"), 1_700_000_000, "abc")
    assert stripe == {"id": "evt_opsgate_abc", "object": "event", "type": "opsgate.ping",
                      "created": 1_700_000_000, "livemode": False, "pending_webhooks": 0,
                      "data": {"object": {"id": "opsgate_abc", "object": "opsgate_ping"}},
                      "request": {"id": None, "idempotency_key": None}}
    standard = default_event(target("http://127.0.0.1:1/", "standard"), 1_700_000_000, "abc")
    assert standard == {"type": "opsgate.ping", "timestamp": "2023-11-14T22:13:20Z",
                        "data": {"opsgate": "secret check"}}
    for scheme in ("github", "shopify", "hmac"):
        assert default_event(target("http://127.0.0.1:1/", scheme), 1_700_000_000, "abc") == {
            "type": "opsgate.ping", "id": "opsgate_abc", "opsgate": "secret check"}


def test_a_wrong_secret_has_the_shape_of_the_real_one() -> None:
    from opsgate.probes.webhook import wrong_secret

    standard = wrong_secret(target("http://127.0.0.1:1/", "standard"))
    assert standard.startswith("whsec_") and len(base64.b64decode(standard.removeprefix("whsec_"))) == 24
    stripe = wrong_secret(target("http://127.0.0.1:1/", "stripe"))
    assert stripe.startswith("whsec_opsgate_wrong_") and len(stripe) == len("whsec_opsgate_wrong_") + 32
    github = wrong_secret(target("http://127.0.0.1:1/", "github"))
    assert github.startswith("opsgate_wrong_") and len(github) == len("opsgate_wrong_") + 32
    assert github != wrong_secret(target("http://127.0.0.1:1/", "github"))


def test_a_generic_hmac_signature_in_base64_with_a_prefix() -> None:
    import hashlib
    import hmac

    from opsgate.probes.webhook import sign

    scheme = target("http://127.0.0.1:1/", "hmac", hmac={"header": "X-Sig", "digest": "sha1",
                                                         "encoding": "base64", "prefix": "sha1="})
    digest = base64.b64encode(hmac.new(b"hmac-secret", b"{}", hashlib.sha1).digest()).decode()
    assert sign(scheme, "hmac-secret", b"{}", 0, "id") == {"X-Sig": "sha1=" + digest}


def test_the_evidence_shows_each_exchange() -> None:
    from opsgate.probes.webhook import Exchange, WebhookFacts

    facts = WebhookFacts("http://h/hook", "github", (
        Exchange("correct secret", 200, "OK", 1.0, "x" * 130, ("X-Hub-Signature-256",)),))
    assert facts.evidence() == ("POST http://h/hook [correct secret] headers X-Hub-Signature-256 -> 200 OK "
                                f"(1000 ms) '{'x' * 120}\u2026'")



def test_each_exchange_is_found_by_its_label() -> None:
    with receiver("stripe", SECRETS["stripe"]) as app:
        facts = probe(target(app.url, "stripe", reject_stale=True), 5)
    for label in ("correct secret", "wrong secret", "stale timestamp"):
        assert facts.get(label).label == label  # type: ignore[union-attr]
    assert facts.get("no such event") is None


def test_a_timeout_already_spent_sends_nothing() -> None:
    with receiver("github", SECRETS["github"]) as app, pytest.raises(
            ProbeTimeout, match="the timeout ran out before the 'correct secret' event was sent"):
        probe(target(app.url, "github"), 0)
    assert app.received == []
