"""Profile model of `latency:` targets: how to sample an endpoint and which percentiles to hold.

A profile's percentile targets are validated against the sample size here, so a target the
sample cannot resolve (p99 from 20 samples) is a usage error naming the key, before any traffic.
"""

from __future__ import annotations

import math
import re
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from opsgate.stats import min_samples_for_bound, min_samples_for_estimate
from opsgate.targets.http import HttpClientTarget
from opsgate.units import (
    Duration,
    DurationThreshold,
    RatioThreshold,
    Threshold,
    as_float,
    format_duration,
)

# The default run budget never exceeds k6's default `maxDuration`: a plan of 100 requests with a
# 10 s timeout would otherwise let a hung endpoint hold the gate for 17 minutes.
MAX_DEFAULT_BUDGET = 600.0

# Percentile keys of a latency target and the quantile level each one names.
PERCENTILES: dict[str, float] = {"p50": 0.50, "p90": 0.90, "p95": 0.95, "p99": 0.99, "p999": 0.999}
# Above this many requests, or with more than one in flight, sampling is load: `intrusive`.
INTRUSIVE_REQUESTS = 100
_RATE = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?)\s*/\s*(s|sec|second|m|min|minute)\s*$")


def parse_rate(value: Any) -> float:
    """Requests per second from `10/s`, `120/m` or a bare number (per second)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a rate such as '10/s' or '120/m', got {value!r}")
    if isinstance(value, int | float):
        rate = as_float(value, "rate")
    elif isinstance(value, str) and _RATE.match(value):
        number, unit = _RATE.match(value).groups()  # type: ignore[union-attr]
        rate = float(number) / (60.0 if unit.startswith("m") else 1.0)
    else:
        raise ValueError(f"expected a rate such as '10/s' or '120/m', got {value!r}")
    if rate <= 0:
        raise ValueError(f"a rate must be positive, got {value!r}")
    return rate


class LatencyTarget(HttpClientTarget):
    """Sample `samples` requests to `url` and judge their percentiles, maximum and error rate."""

    kind: ClassVar[str] = "latency"
    default_suites: ClassVar[tuple[str, ...]] = ("daily",)

    method: Literal["GET", "HEAD"] = "GET"
    keepalive: bool = True

    samples: int = Field(default=50, ge=1, le=100_000)
    concurrency: int = Field(default=1, ge=1, le=256)
    warmup: int = Field(default=0, ge=0, le=10_000)
    rate: float | None = None
    max_duration: Duration | None = Field(default=None, gt=0)
    confidence: float | None = Field(default=None, gt=0.5, lt=1.0)

    p50: DurationThreshold | None = None
    p90: DurationThreshold | None = None
    p95: DurationThreshold | None = None
    p99: DurationThreshold | None = None
    p999: DurationThreshold | None = None
    max: DurationThreshold | None = None
    error_rate: RatioThreshold = Threshold(crit=0.01)

    @field_validator("rate", mode="before")
    @classmethod
    def _rate(cls, value: Any) -> float | None:
        return None if value is None else parse_rate(value)

    @model_validator(mode="before")
    @classmethod
    def _renamed_request_timeout(cls, data: Any) -> Any:
        # `timeout` used to bound the whole run and `request_timeout` each request; a profile
        # written then must not silently change meaning.
        if isinstance(data, dict) and "request_timeout" in data:
            raise ValueError("'request_timeout' is gone: 'timeout' is now the per-request timeout "
                             "of a latency target, and 'max_duration' bounds the whole run")
        return data

    @model_validator(mode="after")
    def _resolvable(self) -> LatencyTarget:
        if not self.targets() and self.max is None:
            raise ValueError(
                "a latency target needs at least one of p50, p90, p95, p99, p999 or max "
                "(e.g. 'p95: 500ms')"
            )
        if self.rate is not None and self.max_duration is not None \
                and self.requests / self.rate > self.max_duration:
            raise ValueError(f"rate: {self.requests} requests at {self.rate:g}/s need "
                             f"{self.requests / self.rate:.0f}s, more than max_duration "
                             f"{format_duration(self.max_duration)}; raise max_duration or the rate")
        for key, (level, _) in self.targets().items():
            needed = self.samples_needed(level)
            if self.samples < needed:
                raise ValueError(f"{key}: {self.samples} samples cannot resolve the {key} "
                                 f"{self._why(level)}; set 'samples: {needed}' or more")
        return self

    def targets(self) -> dict[str, tuple[float, Threshold]]:
        """The percentile keys the profile sets: key -> (quantile level, threshold)."""
        found = {key: (level, getattr(self, key)) for key, level in PERCENTILES.items()}
        return {key: value for key, value in found.items() if value[1] is not None}

    def samples_needed(self, level: float) -> int:
        """How many samples a verdict on the `level` quantile needs (see the module docs)."""
        estimate = min_samples_for_estimate(level)
        if self.confidence is None:
            return estimate
        return max(estimate, min_samples_for_bound(level, self.confidence))

    def _why(self, level: float) -> str:
        if self.confidence is None:
            return (f"(the estimate needs at least {min_samples_for_estimate(level)} samples, so that "
                    f"one lies above it)")
        return (f"at confidence {self.confidence:g} (the largest of n samples bounds it only when "
                f"{level:g}^n <= {1 - self.confidence:.3g})")

    def run_budget(self, timeout: float) -> float:
        """How long the whole sampling run may take when each request may take `timeout`.

        `max_duration` when set; otherwise the plan's worst case, every round of `concurrency`
        requests taking the whole `timeout`, plus the pacing of `rate`, plus one second for what
        happens between requests; at most MAX_DEFAULT_BUDGET. So by default only requests that
        time out on their own can make a run long, and none is cut off by the run's end.
        """
        if self.max_duration is not None:
            return self.max_duration
        pacing = self.requests / self.rate if self.rate is not None else 0.0
        worst = math.ceil(self.requests / self.concurrency) * timeout + pacing + 1.0
        return min(worst, MAX_DEFAULT_BUDGET)

    @property
    def requests(self) -> int:
        """Every request the check sends: warm-up plus samples."""
        return self.warmup + self.samples

    @property
    def intrusive(self) -> bool:  # type: ignore[override]
        """Sampling is load, and so `intrusive`, with more than one request in flight or more than
        INTRUSIVE_REQUESTS requests in all; one request at a time is what a single user sends."""
        return self.concurrency > 1 or self.requests > INTRUSIVE_REQUESTS
