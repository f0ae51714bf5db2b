"""Profile model of `rate_limits:` targets: a documented limit, probed until the 429 (intrusive)."""

from __future__ import annotations

import math
from typing import ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from opsgate.targets import TlsClientTarget
from opsgate.targets._urls import endpoint
from opsgate.targets.http import BasicAuth, http_url
from opsgate.units import Duration


class RateLimitTarget(TlsClientTarget):
    """An endpoint that must answer 429 once `limit` requests of one client are spent within the window.

    Always intrusive: it spends the client's allowance (up to `limit + margin` requests, paced at
    `rate` per second, stopping at the first 429), so real users behind the same address or key may
    be limited for the rest of the window. Run it against staging, or with its own API key.
    """

    kind: ClassVar[str] = "rate_limits"
    default_suites: ClassVar[tuple[str, ...]] = ("weekly",)
    intrusive: ClassVar[bool] = True

    url: str
    method: Literal["GET", "HEAD", "POST"] = "GET"
    headers: dict[str, str] = {}
    bearer_token: str | None = None
    basic_auth: BasicAuth | None = None
    limit: int = Field(ge=1, le=10_000)
    margin: int | None = Field(default=None, ge=0, le=10_000)
    window: Duration | None = None
    rate: float = Field(default=20.0, gt=0, le=200)

    _url = field_validator("url")(lambda cls, v: http_url(v))

    @model_validator(mode="after")
    def _budget(self) -> RateLimitTarget:
        if self.budget > 10_000:
            raise ValueError(f"limit + margin is {self.budget} requests; at most 10000 are sent")
        return self

    @property
    def allowed_margin(self) -> int:
        """Requests past the limit still accepted before the 429 (default: 10 % of it, at least 1)."""
        return self.margin if self.margin is not None else max(1, math.ceil(self.limit * 0.1))

    @property
    def budget(self) -> int:
        """The most requests the probe sends."""
        return self.limit + self.allowed_margin

    @property
    def host_key(self) -> str:
        return endpoint(self.url)
