"""Profile model of `http:` targets: one request, its expectations, its security-header policy."""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from opsgate.targets import Strict, TlsClientTarget
from opsgate.targets._urls import checked_port, endpoint
from opsgate.targets._validate import valid_regex
from opsgate.units import DurationThreshold, Size


def http_url(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # `http://[::1`: an unclosed IPv6 bracket
        raise ValueError(f"expected an http:// or https:// URL, got an unparsable URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"expected an http:// or https:// URL with a host, got {url!r}")
    checked_port(parts)
    return url


class JsonCondition(Strict):
    """A condition on one value inside a JSON body, addressed by a dotted path (`a.b[0].c`)."""

    path: str
    equals: Any = None
    one_of: list[Any] | None = Field(default=None, alias="in")
    min: float | None = None
    max: float | None = None
    matches: str | None = None
    exists: bool = True

    _valid_matches = field_validator("matches")(lambda cls, v: v and valid_regex(v))


class Expect(Strict):
    status: int | list[int] | str = "2xx"
    json_subset: Any = Field(default=None, alias="json")
    json_path: list[JsonCondition] = []
    body_matches: list[str] = []
    body_forbids: list[str] = []
    headers: dict[str, str] = {}
    headers_absent: list[str] = []
    response_time: DurationThreshold | None = None

    @field_validator("status")
    @classmethod
    def _status_shape(cls, value: int | list[int] | str) -> int | list[int] | str:
        if isinstance(value, str) and not re.fullmatch(r"[1-5]xx", value):
            raise ValueError(f"expected a status code, a list of codes or a class like '2xx', got {value!r}")
        return value

    @field_validator("body_matches", "body_forbids")
    @classmethod
    def _regexes(cls, patterns: list[str]) -> list[str]:
        return [valid_regex(p) for p in patterns]

    @field_validator("headers")
    @classmethod
    def _header_regexes(cls, headers: dict[str, str]) -> dict[str, str]:
        return {name: valid_regex(p) for name, p in headers.items()}

    def accepts_status(self, status: int) -> bool:
        if isinstance(self.status, int):
            return status == self.status
        if isinstance(self.status, list):
            return status in self.status
        return str(status)[0] == self.status[0]


class BasicAuth(Strict):
    username: str
    password: str


Grade = Literal["A+", "A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "D-", "F"]
GRADES: tuple[str, ...] = ("A+", "A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "D-", "F")


class SecurityHeadersPolicy(Strict):
    """`baseline` rules, adjusted: extra required/forbidden headers, relaxed rules, a minimum grade."""

    base: Literal["baseline", "none"] = "baseline"
    require: dict[str, str | None] = {}
    forbid: list[str] = []
    relax: list[str] = []
    min_grade: Grade | None = None
    hsts_min_age: int = 15552000
    hsts_recommended_age: int = 31536000

    @field_validator("relax")
    @classmethod
    def _known_rules(cls, rules: list[str]) -> list[str]:
        from opsgate.judges.security_headers import validate_rule_ids  # the rules live there

        return validate_rule_ids(rules)

    @field_validator("require")
    @classmethod
    def _require_regexes(cls, headers: dict[str, str | None]) -> dict[str, str | None]:
        return {name: (p and valid_regex(p)) for name, p in headers.items()}


class HttpClientTarget(TlsClientTarget):
    """What both HTTP-speaking kinds (`http`, `latency`) share: the URL, headers and credentials."""

    url: str
    headers: dict[str, str] = {}
    basic_auth: BasicAuth | None = None
    bearer_token: str | None = None
    follow_redirects: bool = True
    # Lower-cased names of `headers` whose value holds a secret of the profile (the loader
    # passes its redactor in the validation context): they never leave the profile's origin.
    _secret_headers: frozenset[str] = PrivateAttr(default=frozenset())

    _url = field_validator("url")(lambda cls, v: http_url(v))

    @model_validator(mode="after")
    def _find_secret_headers(self, info: ValidationInfo) -> HttpClientTarget:
        redact = (info.context or {}).get("redact")
        if redact is not None:
            self._secret_headers = frozenset(
                name.lower() for name, value in self.headers.items() if redact(value) != value)
        return self

    @property
    def secret_headers(self) -> frozenset[str]:
        return self._secret_headers

    @property
    def host_key(self) -> str:
        return endpoint(self.url)


class HttpTarget(HttpClientTarget):
    kind: ClassVar[str] = "http"
    default_suites: ClassVar[tuple[str, ...]] = ("smoke", "daily")

    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] = "GET"
    body: str | None = None
    body_json: Any = None
    max_redirects: int = Field(default=5, ge=0, le=30)
    max_body: Size = 1024 * 1024
    expect: Expect = Expect()
    security_headers: Literal["baseline"] | SecurityHeadersPolicy | None = None

    @model_validator(mode="after")
    def _one_body(self) -> HttpTarget:
        if self.body is not None and self.body_json is not None:
            raise ValueError("give either 'body' or 'body_json', not both")
        return self

    @property
    def header_policy(self) -> SecurityHeadersPolicy | None:
        if self.security_headers == "baseline":
            return SecurityHeadersPolicy()
        return self.security_headers
