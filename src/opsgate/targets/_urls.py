"""URL helpers shared by the data-store target models (no drivers here)."""

from __future__ import annotations

from urllib.parse import urlsplit


def checked_url(url: str, schemes: tuple[str, ...], what: str) -> str:
    """`url` when its scheme is one of `schemes` and it names a host; a ValueError otherwise."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise ValueError(f"expected a {what} URL, got an unparsable URL: {exc}") from None
    if parts.scheme not in schemes:
        raise ValueError(
            f"expected a {what} URL starting with {' or '.join(s + '://' for s in schemes)}, "
            f"got scheme {parts.scheme or '(none)'!r}"
        )
    if not parts.hostname:
        raise ValueError(f"expected a {what} URL with a host, e.g. {schemes[0]}://127.0.0.1/")
    return url


def endpoint(url: str, default_port: int) -> str:
    """`host:port` of a URL, for the per-host concurrency limit and messages."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or default_port}"
