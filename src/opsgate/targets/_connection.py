"""Where a target's commands and files live: this machine, or a host through pytest-testinfra."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import field_validator, model_validator

from opsgate.targets import Target

CONNECTION_SCHEMES = ("local", "ssh", "safe-ssh")


class Connected(Target):
    """A target reached through a connection: `local://` (this machine) or `ssh://[user@]host[:port]`."""

    connection: str = "local://"
    ssh_config: str | None = None
    ssh_identity_file: str | None = None

    @field_validator("connection")
    @classmethod
    def _connection(cls, value: str) -> str:
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme not in CONNECTION_SCHEMES:
            raise ValueError(
                f"expected 'local://' or 'ssh://[user@]host[:port]' (also safe-ssh://), got {value!r}"
            )
        if scheme != "local" and not urlsplit(value).hostname:
            raise ValueError(f"expected a host name in {value!r}, e.g. 'ssh://deploy@web1'")
        if scheme == "local" and value != "local://":
            raise ValueError(f"a local connection is written 'local://', got {value!r}")
        return value

    @model_validator(mode="after")
    def _ssh_options_need_ssh(self) -> Connected:
        if self.scheme == "local" and (self.ssh_config or self.ssh_identity_file):
            raise ValueError("'ssh_config' and 'ssh_identity_file' apply to ssh:// connections only")
        return self

    @property
    def scheme(self) -> Literal["local", "ssh", "safe-ssh"]:
        return self.connection.split("://", 1)[0]  # type: ignore[return-value]

    @property
    def host_key(self) -> str:
        if self.scheme == "local":
            return "localhost"
        parts = urlsplit(self.connection)
        return f"{parts.hostname}:{parts.port or 22}"
