"""Keeping secrets out of output: every value a profile marks secret reads `***`."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

MASK = "***"
# Keys whose values are credentials wherever they appear in a profile (headers, auth, URLs).
_SECRET_KEY = re.compile(
    r"pass(word)?|secret|token|api[-_]?key|apikey|authorization|cookie|credential|private",
    re.IGNORECASE,
)
_URL_IN_TEXT = re.compile(r"[a-z][a-z0-9+.-]*://[^\s'\"<>]+", re.IGNORECASE)
_SHORTEST_SECRET = 3  # masking one or two characters would shred ordinary text


class Redactor:
    """Masks known secret values and the password part of any URL in a text."""

    def __init__(self, secrets: set[str] | None = None) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for secret in secrets or ():
            self.add(secret)

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= _SHORTEST_SECRET and secret not in self._secrets:
            self._secrets.add(secret)
            # Longest first so a secret containing another is masked whole.
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(s) for s in ordered))

    def learn_from(self, data: Any, key: str = "") -> None:
        """Collect credentials from a profile's data: secret-named keys and URL passwords."""
        if isinstance(data, dict):
            for k, v in data.items():
                self.learn_from(v, str(k))
        elif isinstance(data, list | tuple):
            for item in data:
                self.learn_from(item, key)
        elif isinstance(data, str):
            if _SECRET_KEY.search(key):
                self.add(data)
                self.add(_bearer_value(data))
            for url in _URL_IN_TEXT.findall(data):
                self.add(_url_password(url))

    def redact(self, text: str) -> str:
        if not text:
            return text
        if self._pattern is not None:
            text = self._pattern.sub(MASK, text)
        if "@" not in text:  # no URL in it can carry a password: spare the scan
            return text
        return _URL_IN_TEXT.sub(lambda m: _mask_url_password(m.group(0)), text)

    def redact_mapping(self, mapping: dict[str, str]) -> dict[str, str]:
        return {k: (MASK if _SECRET_KEY.search(k) else self.redact(v)) for k, v in mapping.items()}

    def __contains__(self, text: str) -> bool:
        return self._pattern is not None and self._pattern.search(text) is not None


def _url_password(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def _mask_url_password(url: str) -> str:
    password = _url_password(url)
    if not password:
        return url
    return url.replace(f":{password}@", f":{MASK}@", 1)


def _bearer_value(header: str) -> str | None:
    scheme, _, credential = header.partition(" ")
    return credential.strip() if scheme.lower() in ("bearer", "basic", "token") else None
