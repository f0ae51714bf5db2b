"""Keeping secrets out of output: every value a profile marks secret reads `***`."""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import quote, quote_plus, unquote, unquote_plus, urlsplit

MASK = "***"
# Ends an excerpt that `clip` cut short. Probes cut before the run's redactor sees their text: a
# secret straddling the cut leaves its head, which `redact` recognises only next to this mark.
CUT = "\u2026"
_CUT_MARKS = re.compile(r"(\u2026|\\u2026)")  # as written, and escaped inside JSON text
# Keys whose values are credentials wherever they appear in a profile (headers, auth, URLs).
_SECRET_KEY = re.compile(
    r"pass(word)?|secret|token|api[-_]?key|apikey|authorization|cookie|credential|private"
    r"|[-_]key$|(^|[-_])(auth|sig|signature)$",
    re.IGNORECASE,
)
# Headers whose whole value is a credential; Set-Cookie keeps its name and flags (they are findings).
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
# A URL in prose: punctuation that ends a sentence or a message is not part of it. The scheme
# starts where no scheme character precedes it and is short, so a long run of letters (a base64
# or minified body excerpt) is scanned once, not once per letter (32 KiB took 19 s).
_URL_IN_TEXT = re.compile(r"(?<![a-z0-9+.-])[a-z][a-z0-9+.-]{0,31}://[^\s'\"<>]*[^\s'\"<>.,:;)]",
                          re.IGNORECASE)
_QUERY_PARAM = re.compile(r"([^=&#]+)=([^&#]*)")
_QUERY_IN_URL = re.compile(r"([?&])([^=&#?]+)=([^&#]*)")
_SHORTEST_SECRET = 3  # masking one or two characters would shred ordinary text


class Redactor:
    """Masks known secret values, and passwords and credential parameters of any URL in a text."""

    def __init__(self, secrets: set[str] | None = None) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for secret in secrets or ():
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """Mask `secret` in every form it takes on the wire or in a message (see `derived_forms`)."""
        if not secret:
            return
        new = {form for form in derived_forms(secret) if len(form) >= _SHORTEST_SECRET} - self._secrets
        if new:
            self._secrets |= new
            self._pattern = None  # compiled on the next redact: once per profile, not per secret

    def add_basic_auth(self, username: str, password: str) -> None:
        """Mask a password and the `user:password` pair as Basic auth sends it (base64)."""
        self.add(password)
        if password:
            self.add(base64.b64encode(f"{username}:{password}".encode()).decode("ascii"))

    def learn_from(self, data: Any, key: str = "") -> None:
        """Collect credentials from a profile's data: secret-named keys and URL passwords."""
        if isinstance(data, dict):
            if isinstance(data.get("username"), str) and isinstance(data.get("password"), str):
                self.add_basic_auth(data["username"], data["password"])  # `basic_auth:`
            for k, v in data.items():
                self.learn_from(v, str(k))
        elif isinstance(data, list | tuple):
            for item in data:
                self.learn_from(item, key)
        elif isinstance(data, str | int | float) and not isinstance(data, bool):
            text = str(data)
            if _SECRET_KEY.search(key):
                self.add(text)
                self.add(_bearer_value(text))
            for url in _URL_IN_TEXT.findall(text):
                self._learn_url(url)

    def _learn_url(self, url: str) -> None:
        """A URL's password (and its user:password as the Basic auth the client sends for it) and
        the values of its credential-named query parameters."""
        for secret in _url_secrets(url):
            self.add(secret)
        try:
            parts = urlsplit(url)
        except ValueError:  # `a://[`: no userinfo can be read from it
            return
        if parts.password:
            self.add_basic_auth(unquote(parts.username or ""), unquote(parts.password))

    def redact(self, text: str) -> str:
        if not text:
            return text
        if self._pattern is None and self._secrets:
            # Longest first so a secret containing another is masked whole.
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(s) for s in ordered))
        if self._pattern is not None:
            text = self._pattern.sub(MASK, text)
        if self._secrets and _CUT_MARKS.search(text):
            text = self._mask_heads_at_cuts(text)
        if "://" not in text:  # no URL in it can carry a credential: spare the scan
            return text
        return _URL_IN_TEXT.sub(lambda m: _mask_url(m.group(0)), text)

    def _mask_heads_at_cuts(self, text: str) -> str:
        """Mask the longest head of a secret that ends where `clip` cut the text."""
        parts = _CUT_MARKS.split(text)  # text, mark, text, mark, ..., text
        for i in range(0, len(parts) - 1, 2):
            head = max((length for secret in self._secrets
                        for length in range(_SHORTEST_SECRET, len(secret))
                        if parts[i].endswith(secret[:length])), default=0)
            if head:
                parts[i] = parts[i][:-head] + MASK
        return "".join(parts)


def clip(text: str, limit: int) -> str:
    """The first `limit` characters of `text`, marked with CUT when there were more."""
    return text if len(text) <= limit else text[:limit] + CUT


def derived_forms(secret: str) -> set[str]:
    """Every form a secret takes on the wire or in a message: as written, URL-decoded (a server
    echoing `QryTok%2B` prints `QryTok+`), URL-encoded (a password `Rd@Pw` sent as `Rd%40Pw`), and
    escaped inside a JSON string (evidence and summary.json are JSON)."""
    plain = {secret, unquote(secret), unquote_plus(secret)}
    forms = plain | {encoded for form in plain
                     for encoded in (quote(form), quote(form, safe=""), quote_plus(form))}
    return forms | {json.dumps(form)[1:-1] for form in forms}


def mask_header(name: str, value: str) -> str:
    """A response or request header as evidence may show it: credentials and cookie values
    masked, cookie names and attributes kept (a missing Secure flag is a finding to read)."""
    lowered = name.lower()
    if lowered == "set-cookie":
        cookie, separator, attributes = value.partition(";")
        cookie_name = cookie.split("=", 1)[0]
        return f"{cookie_name}={MASK}{separator}{attributes}"
    if is_credential_header(name):
        return MASK
    return value


def is_credential_header(name: str) -> bool:
    """Authorization, Proxy-Authorization, Cookie, or a header whose name names a credential
    (`X-Api-Key`, `X-Auth-Token`)."""
    return name.lower() in _CREDENTIAL_HEADERS or _SECRET_KEY.search(name) is not None


def _url_secrets(url: str) -> list[str]:
    """The password and the values of credential-named query parameters of a URL."""
    try:
        parts = urlsplit(url)
        found = [parts.password or ""]
    except ValueError:
        return []
    found += [value for name, value in _QUERY_PARAM.findall(parts.query) if _SECRET_KEY.search(name)]
    return [secret for secret in found if secret]


def _mask_url(url: str) -> str:
    try:
        password = urlsplit(url).password
    except ValueError:
        return url
    if password:
        url = url.replace(f":{password}@", f":{MASK}@", 1)

    def mask_param(match: re.Match[str]) -> str:
        lead, name, value = match.groups()
        return f"{lead}{name}={MASK}" if value and _SECRET_KEY.search(name) else match.group(0)

    return _QUERY_IN_URL.sub(mask_param, url)


def _bearer_value(header: str) -> str | None:
    scheme, _, credential = header.partition(" ")
    return credential.strip() if scheme.lower() in ("bearer", "basic", "token") else None
