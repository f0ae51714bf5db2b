"""One redirect policy for both HTTP stacks: httpx (probes/http.py) and http.client (probes/latency.py).

- Only `http://` and `https://` locations are followed. Any other scheme (`file:`, `ftp:`,
  `gopher:`) fails the request with the same message in both stacks.
- Credentials go only to the origin the profile named. When a hop changes the scheme, the host or
  the port, every credential header is dropped: `Authorization`, `Proxy-Authorization`, `Cookie`,
  any header whose name names a credential (`X-Api-Key`, `X-Auth-Token`, …) and any header whose
  value carries a secret of the profile. This is stricter than httpx's own rule, which keeps
  `Authorization` on an http -> https upgrade of the same host: another port or scheme may be
  another service, and a token is sent only where the profile said.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from urllib.parse import urlsplit

from opsgate.errors import ProtocolFailure
from opsgate.redact import is_credential_header
from opsgate.targets._urls import DEFAULT_PORTS

Origin = tuple[str, str, int]  # scheme, host, port
FOLLOWED_SCHEMES = frozenset({"http", "https"})


def origin(url: str) -> Origin:
    """The (scheme, host, port) of an http(s) URL, the port made explicit."""
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or DEFAULT_PORTS[parts.scheme]


def refuse_scheme(where: str, url: str) -> None:
    """Raise the finding for a redirect to a URL no HTTP client should follow."""
    scheme = urlsplit(url).scheme.lower()
    if scheme not in FOLLOWED_SCHEMES:
        raise ProtocolFailure(
            f"{where}: redirected to {url}, a {scheme or 'scheme-less'} URL: only http:// and "
            "https:// redirects are followed (check the server's Location header)"
        )


def forwardable(
    headers: Mapping[str, str], first: Origin, now: Origin, secret_headers: Collection[str] = (),
) -> dict[str, str]:
    """The headers a request to origin `now` may carry when the profile named origin `first`.

    `secret_headers` are lower-cased names of headers whose value is a declared secret.
    """
    if now == first:
        return dict(headers)
    return {name: value for name, value in headers.items()
            if not is_credential_header(name) and name.lower() not in secret_headers}
