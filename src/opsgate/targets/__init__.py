"""Profile models of each check kind's targets: pydantic only, no drivers, cheap to import."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from opsgate.suites import SUITE_NAME
from opsgate.units import Timeout

# One of opsgate.suites.SUITES or of the profile's own `suites:` (the profile checks which).
Suite = Annotated[str, Field(pattern=SUITE_NAME)]
Severity = Literal["blocker", "critical", "normal", "minor", "trivial"]


class Strict(BaseModel):
    """Base of every profile model: unknown keys are errors, never silently ignored checks, and no
    number is NaN or infinite (a NaN limit compares false with every value: always green)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Target(Strict):
    """What every target of every kind accepts."""

    kind: ClassVar[str] = "target"
    default_suites: ClassVar[tuple[str, ...]] = ("daily",)
    intrusive: ClassVar[bool] = False

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/@-]*$")
    suites: list[Suite] | None = None
    timeout: Timeout | None = None
    retries: int | None = Field(default=None, ge=0, le=10)
    runbook: str | None = None
    severity: Severity = "normal"
    description: str | None = None

    @property
    def effective_suites(self) -> tuple[str, ...]:
        """The suites that run this target: its own `suites:`, else its kind's defaults."""
        return tuple(self.suites) if self.suites is not None else self.default_suites

    def run_budget(self, timeout: float) -> float:
        """How long one attempt of this target's probe may take in all, given its `timeout`:
        the timeout itself, except for kinds whose probe makes many timed requests (latency)."""
        return timeout

    @property
    def host_key(self) -> str:
        """Which service this target loads, for the per-host concurrency limit."""
        return f"{self.kind}:{self.name}"

    def __repr__(self) -> str:
        # Reports (allure parameters, junit) show reprs: never let a field value leak there.
        return f"<{self.kind} target {self.name!r}>"

    __str__ = __repr__


class TlsClientTarget(Target):
    """A target whose server certificate this side verifies: system trust, a CA bundle, or not."""

    ca_bundle: str | None = None
    insecure: bool = False

    @model_validator(mode="after")
    def _one_way_to_verify(self) -> TlsClientTarget:
        if self.insecure and self.ca_bundle:
            raise ValueError("'insecure: true' skips verification, so 'ca_bundle' would be ignored")
        return self
