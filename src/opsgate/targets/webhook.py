"""Profile model of `webhooks:` targets: an endpoint whose signing secret must match ours."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from opsgate.targets import Strict, TlsClientTarget
from opsgate.targets._urls import endpoint
from opsgate.targets.http import http_url
from opsgate.units import Duration

Scheme = Literal["stripe", "github", "shopify", "standard", "hmac"]


class HmacScheme(Strict):
    """A generic signature: `header: prefix + encode(HMAC-digest(secret, body))`."""

    header: str = "X-Signature"
    digest: Literal["sha1", "sha256", "sha512"] = "sha256"
    encoding: Literal["hex", "base64"] = "hex"
    prefix: str = ""


class WebhookTarget(TlsClientTarget):
    """POSTs a test event signed with `secret` (expects 2xx) and with a wrong one (expects 4xx)."""

    kind: ClassVar[str] = "webhook"
    # Test events are side effects: never in the post-deploy smoke gate unless `suites:` says so.
    default_suites: ClassVar[tuple[str, ...]] = ("weekly", "premaintenance")
    intrusive: ClassVar[bool] = True

    url: str
    scheme: Scheme
    secret: str = Field(min_length=1)
    event_type: str = "opsgate.ping"
    body: dict[str, Any] | None = None
    headers: dict[str, str] = {}
    hmac: HmacScheme | None = None
    reject_stale: bool = False
    stale_by: Duration = 3600.0

    _url = field_validator("url")(lambda cls, v: http_url(v))

    @model_validator(mode="after")
    def _consistent(self) -> WebhookTarget:
        if self.hmac is not None and self.scheme != "hmac":
            raise ValueError(f"'hmac' settings apply only to scheme 'hmac', not {self.scheme!r}")
        if self.reject_stale and self.scheme not in ("stripe", "standard"):
            raise ValueError(
                f"'reject_stale' needs a signed timestamp: scheme {self.scheme!r} has none "
                "(use 'stripe' or 'standard')"
            )
        if self.scheme == "standard" and not _standard_secret_ok(self.secret):
            raise ValueError("a 'standard' webhook secret must be 'whsec_' followed by base64")
        return self

    @property
    def hmac_scheme(self) -> HmacScheme:
        return self.hmac or HmacScheme()

    @property
    def host_key(self) -> str:
        return endpoint(self.url)


def _standard_secret_ok(secret: str) -> bool:
    import binascii

    try:
        standard_key(secret)
    except (binascii.Error, ValueError):
        return False
    return True


def standard_key(secret: str) -> bytes:
    """The key of a Standard Webhooks secret: base64 after `whsec_`, with or without its padding
    (the `standardwebhooks` library pads before decoding, so unpadded secrets are in use)."""
    import base64

    encoded = secret.removeprefix("whsec_")
    return base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
