"""One response's headers, parsed once for both the baseline rules and the Observatory score."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from opsgate.judges.security_headers.csp import Csp, CspError, parse_csp

__all__ = ["Cookie", "ResponseHeaders", "samesite_valid", "shown"]

REFERRER_PRIVATE = ("no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin")
REFERRER_LEAKY = ("origin", "origin-when-cross-origin", "unsafe-url", "no-referrer-when-downgrade")


def shown(value: str, limit: int = 80) -> str:
    """A header value quoted for a message, shortened so hostile headers stay readable."""
    value = value.strip()
    return repr(value if len(value) <= limit else value[: limit - 3] + "...")


@dataclass(frozen=True)
class Cookie:
    """A Set-Cookie header's name and attributes; the value is deliberately not kept."""

    name: str
    secure: bool
    httponly: bool
    samesite: str | None  # raw attribute value, "" when given without a value
    scope: tuple[str, str]  # Domain and Path attributes as given ("" when absent)


def samesite_valid(samesite: str | None) -> bool:
    """Whether a SameSite attribute value is one browsers know (None: the attribute is absent)."""
    return samesite is not None and samesite.lower() in ("strict", "lax", "none")


def _parse_set_cookie(header: str) -> Cookie:
    pair, *attributes = header.split(";")
    name = pair.split("=", 1)[0].strip() if "=" in pair else ""
    secure = httponly = False
    samesite: str | None = None
    scope = {"domain": "", "path": ""}
    for attribute in attributes:
        key, _, value = attribute.partition("=")
        key = key.strip().lower()
        if key == "secure":
            secure = True
        elif key == "httponly":
            httponly = True
        elif key == "samesite":
            samesite = value.strip()
        elif key in scope:
            scope[key] = value.strip().lower().lstrip(".") if key == "domain" else value.strip()
    return Cookie(name, secure, httponly, samesite, (scope["domain"], scope["path"]))


def _effective_referrer_policy(values: list[str]) -> str | None:
    """The last recognized token of all values (browsers skip unknown ones); "" if none is."""
    if not values:
        return None
    tokens = [t.strip().lower() for v in values for t in v.split(",")]
    known = [t for t in tokens if t in REFERRER_PRIVATE + REFERRER_LEAKY]
    return known[-1] if known else ""


class ResponseHeaders:
    """Case-insensitive multi-valued view of a raw header list, with the shared parses done.

    `csp` is the parsed Content-Security-Policy (None when absent or unparseable, then
    `csp_error` says why); `cookies` the Set-Cookie headers; `referrer_policy` the effective
    Referrer-Policy (None when absent, "" when no token is recognized).
    """

    def __init__(self, headers: Iterable[tuple[str, str]], *, https: bool) -> None:
        self.https = https
        self._values: dict[str, list[str]] = {}
        for name, value in headers:
            self._values.setdefault(name.strip().lower(), []).append(value)
        self.csp: Csp | None = None
        self.csp_error: str | None = None
        try:
            self.csp = parse_csp(self.all("Content-Security-Policy"))
        except CspError as exc:
            self.csp_error = str(exc)
        self.cookies = [_parse_set_cookie(v) for v in self.all("Set-Cookie")]
        self.referrer_policy = _effective_referrer_policy(self.all("Referrer-Policy"))

    def all(self, name: str) -> list[str]:
        return self._values.get(name.lower(), [])

    def first(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None

    def folded(self, name: str) -> str | None:
        """All values joined by ", ", as an HTTP client combines a repeated field (RFC 9110 5.3).

        This is the one value the Observatory's client (node's http module) hands to its tests:
        a Cross-Origin-Resource-Policy sent twice reads "same-origin, same-origin".
        """
        values = self.all(name)
        return ", ".join(values) if values else None

    def has(self, name: str) -> bool:
        return name.lower() in self._values
