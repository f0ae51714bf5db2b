"""Profile model of `tls:` targets: a certificate served on host:port, directly or via STARTTLS."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from opsgate.targets import Target
from opsgate.units import NumberFloor, Threshold

TlsVersion = Literal["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
TLS_VERSIONS: tuple[str, ...] = ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
STARTTLS_PORTS = {None: 443, "postgres": 5432, "smtp": 25}


class TlsTarget(Target):
    """One TLS endpoint whose certificate chain, hostname, version and keys are judged."""

    kind: ClassVar[str] = "tls"
    default_suites: ClassVar[tuple[str, ...]] = ("daily", "weekly")

    host: str = Field(min_length=1)
    port: int | None = Field(default=None, ge=1, le=65535)
    address: str | None = None
    starttls: Literal["postgres", "smtp"] | None = None
    ca_bundle: str | None = None
    verify: bool = True
    days_left: NumberFloor = Threshold(warn=20, crit=15)
    chain_days_left: NumberFloor | None = None
    min_version: TlsVersion = "TLSv1.2"
    min_rsa_bits: int = Field(default=2048, ge=512)
    min_ec_bits: int = Field(default=256, ge=160)

    @model_validator(mode="after")
    def _consistent(self) -> TlsTarget:
        if not self.verify and self.ca_bundle:
            raise ValueError("'verify: false' skips chain validation, so 'ca_bundle' would be ignored")
        return self

    @property
    def effective_port(self) -> int:
        return self.port if self.port is not None else STARTTLS_PORTS[self.starttls]

    @property
    def connect_to(self) -> str:
        """The address the probe connects to: `address` when given, else `host`."""
        return self.address or self.host

    @property
    def chain_threshold(self) -> Threshold:
        return self.chain_days_left if self.chain_days_left is not None else self.days_left

    @property
    def host_key(self) -> str:
        return f"{self.connect_to}:{self.effective_port}"
