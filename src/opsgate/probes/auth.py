"""HTTP request authentication the HTTP-speaking probes share (no driver beyond the standard library)."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opsgate.targets.http import BasicAuth


def auth_headers(bearer_token: str | None, basic_auth: BasicAuth | None) -> dict[str, str]:
    """The `Authorization` header a target's `bearer_token` or `basic_auth` asks for (the token wins
    when a profile gives both), or no header. Basic credentials are UTF-8, as httpx and curl send them."""
    if bearer_token:
        return {"Authorization": f"Bearer {bearer_token}"}
    if basic_auth is not None:
        pair = f"{basic_auth.username}:{basic_auth.password}".encode()
        return {"Authorization": f"Basic {base64.b64encode(pair).decode()}"}
    return {}
