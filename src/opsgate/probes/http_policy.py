"""What both HTTP stacks (httpx in probes/http.py, http.client in probes/latency.py) enforce alike.

- Only `http://` and `https://` locations are followed. Any other scheme (`file:`, `ftp:`,
  `gopher:`) fails the request with the same message in both stacks.
- Credentials go only to the origin the profile named. When a hop changes the scheme, the host or
  the port, every credential header is dropped: `Authorization`, `Proxy-Authorization`, `Cookie`,
  any header whose name names a credential (`X-Api-Key`, `X-Auth-Token`, …) and any header whose
  value carries a secret of the profile. This is stricter than httpx's own rule, which keeps
  `Authorization` on an http -> https upgrade of the same host: another port or scheme may be
  another service, and a token is sent only where the profile said.
- A response's header block may be at most MAX_HEADER_BYTES (64 KiB, counted as on the wire:
  `name: value` plus CRLF per header). 64 KiB is http.client's limit for one header line and below
  httpx's (h11's) 100 KiB for the whole block, so with it both stacks refuse the same responses,
  with the same message. Real services stay far below it (nginx, as a proxy, answers 502 when an
  upstream's response headers exceed its default 4-8 KiB `proxy_buffer_size`), while a block
  this large is a misbehaving server or a cookie flood.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from urllib.parse import urlsplit

from opsgate.errors import ProtocolFailure
from opsgate.redact import is_credential_header
from opsgate.targets._urls import DEFAULT_PORTS
from opsgate.units import format_size

Origin = tuple[str, str, int]  # scheme, host, port
FOLLOWED_SCHEMES = frozenset({"http", "https"})
MAX_HEADER_BYTES = 64 * 1024


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


def refuse_large_headers(where: str, headers: Iterable[tuple[str, str]]) -> None:
    """Raise the finding for a response whose header block exceeds MAX_HEADER_BYTES."""
    size = sum(len(name) + len(value) + 4 for name, value in headers)
    if size > MAX_HEADER_BYTES:
        raise headers_too_large(where, f"{format_size(size)} of")


def headers_too_large(where: str, how_much: str = "more than") -> ProtocolFailure:
    """The finding for a response header block over the limit (`how_much` of it was read)."""
    return ProtocolFailure(
        f"{where}: the response sent {how_much} headers, over opsgate's "
        f"{format_size(MAX_HEADER_BYTES)} limit for a response's header block "
        "(a misbehaving server, or a flood of cookies)"
    )
