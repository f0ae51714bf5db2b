"""Webhook probe against real receivers; stripe and standard verify with the providers' libraries."""

from __future__ import annotations

import base64

import pytest

from opsgate.errors import Unreachable
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
