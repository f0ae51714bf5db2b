"""URL helpers shared by the data-store target models (no drivers here)."""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit


def checked_port(parts: SplitResult) -> None:
    """A ValueError unless the URL's port, when it names one, is 1-65535. Port 0 is refused: the
    libraries read it as "no port" and would check the scheme's default port (6379, 443) instead."""
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0 and parts.netloc.rpartition("@")[2].rpartition(":")[1]:
        given = parts.netloc.rpartition("@")[2].rpartition(":")[2]
        raise ValueError(f"the URL's port must be 1-65535, got {given!r}")


def checked_url(url: str, schemes: tuple[str, ...], what: str) -> str:
    """`url` when its scheme is one of `schemes`, it names a host and any port it gives is 1-65535;
    a ValueError otherwise."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise ValueError(f"expected a {what} URL, got an unparsable URL: {exc}") from None
    checked_port(parts)
    if parts.scheme not in schemes:
        raise ValueError(
            f"expected a {what} URL starting with {' or '.join(s + '://' for s in schemes)}, "
            f"got scheme {parts.scheme or '(none)'!r}"
        )
    if not parts.hostname:
        raise ValueError(f"expected a {what} URL with a host, e.g. {schemes[0]}://127.0.0.1/")
    return url


# The port a URL of each scheme means when it names none.
DEFAULT_PORTS: dict[str, int] = {
    "http": 80, "https": 443, "redis": 6379, "rediss": 6379, "amqp": 5672, "amqps": 5671,
    "postgresql": 5432, "postgres": 5432, "mysql": 3306, "mariadb": 3306,
}


def endpoint(url: str, default_port: int | None = None) -> str:
    """`host:port` of a URL, for the per-host concurrency limit and messages. Without a port in the
    URL: `default_port`, else the scheme's (DEFAULT_PORTS: http 80, https 443, redis 6379, ...)."""
    parts = urlsplit(url)
    port = parts.port or default_port or DEFAULT_PORTS.get(parts.scheme)
    return f"{parts.hostname}:{port}" if port else str(parts.hostname)
