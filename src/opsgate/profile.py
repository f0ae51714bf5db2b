"""The environment profile: YAML loading, `${ENV}` interpolation, schema and readable errors."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import Field, PrivateAttr, ValidationError, model_validator

from opsgate.inherit import InheritError, read_extended
from opsgate.notify import Notification
from opsgate.profile_paths import missing_files, resolve_paths
from opsgate.profile_variables import Unresolved, original_index, set_aside
from opsgate.redact import Redactor
from opsgate.suites import SUITE_NAME, SUITES
from opsgate.targets import Strict, Target
from opsgate.targets.backup import BackupTarget
from opsgate.targets.command import CommandTarget
from opsgate.targets.config import ConfigTarget
from opsgate.targets.custom import CustomTarget
from opsgate.targets.database import DatabaseTarget
from opsgate.targets.dns import DnsTarget
from opsgate.targets.host import HostTarget
from opsgate.targets.http import HttpTarget
from opsgate.targets.latency import LatencyTarget
from opsgate.targets.log import LogsTarget
from opsgate.targets.metrics import MetricsTarget
from opsgate.targets.queue import QueueTarget
from opsgate.targets.rate_limit import RateLimitTarget
from opsgate.targets.redis import RedisTarget
from opsgate.targets.tls import TlsTarget
from opsgate.targets.webhook import WebhookTarget
from opsgate.units import Duration
from opsgate.waivers import Waiver


class ProfileError(Exception):
    """A profile that cannot be used; the message names the file, key path and expectation."""


class Defaults(Strict):
    timeout: Duration = 10.0
    retries: int = Field(default=0, ge=0, le=10)
    concurrency: int = Field(default=64, ge=1, le=1024)
    per_host_concurrency: int = Field(default=32, ge=1, le=1024)


class Demo(Strict):
    """The bundled demo target, started by the plugin for the run when a profile asks for it."""

    port: int = Field(default=8642, ge=1, le=65535)
    https_port: int = Field(default=8643, ge=1, le=65535)
    ca_bundle: str = "reports/demo-ca.pem"
    broken: bool = False
    mode: Literal["pincart", "aislemarts", "kuya-comps", "support-agent", "aliexpress-proxy"] | None = None


class Inventory(Strict):
    """A fleet that `for_each:` expands targets over: exactly one source (see opsgate.inventory)."""

    ansible: str | None = None
    group: str = "all"
    file_sd: str | None = None
    hosts: list[str | dict[str, Any]] | None = None


class Profile(Strict):
    name: str
    description: str | None = None
    defaults: Defaults = Defaults()
    secrets: list[str] = []
    demo: Demo | None = None
    inventories: dict[str, Inventory] = {}
    http: list[HttpTarget] = []
    tls: list[TlsTarget] = []
    redis: list[RedisTarget] = []
    databases: list[DatabaseTarget] = []
    queues: list[QueueTarget] = []
    dns: list[DnsTarget] = []
    webhooks: list[WebhookTarget] = []
    latency: list[LatencyTarget] = []
    metrics: list[MetricsTarget] = []
    backups: list[BackupTarget] = []
    hosts: list[HostTarget] = []
    notify: list[Notification] = []
    waivers: list[Waiver] = []
    # A team's own check kinds: section name -> targets (see docs/custom-checks.md).
    custom: dict[str, list[CustomTarget]] = {}
    # The profile's own suite names -> what they are for (registered as pytest markers).
    suites: dict[Annotated[str, Field(pattern=SUITE_NAME)], str] = {}
    _unresolved: list[tuple[Unresolved, Target]] = PrivateAttr(default_factory=list)
    commands: list[CommandTarget] = []
    logs: list[LogsTarget] = []
    config: list[ConfigTarget] = []
    rate_limits: list[RateLimitTarget] = []

    @model_validator(mode="after")
    def _unique_names(self) -> Profile:
        for section, targets in self.sections():
            seen: set[str] = set()
            for index, target in enumerate(targets):
                if target.name in seen:
                    raise ValueError(
                        f"{section}[{index}].name: duplicate target name {target.name!r}"
                    )
                seen.add(target.name)
        return self

    @model_validator(mode="after")
    def _custom_sections_stand_apart(self) -> Profile:
        for section in self.custom:
            if section in type(self).model_fields or not _SECTION.fullmatch(section):
                raise ValueError(
                    f"custom.{section}: a custom section needs a name of its own (letters, digits, "
                    "'_'), not a built-in section's"
                )
        return self

    @model_validator(mode="after")
    def _known_suites(self) -> Profile:
        known = {*SUITES, *self.suites}
        for section, targets in self.sections():
            for index, target in enumerate(targets):
                unknown = [suite for suite in target.suites or () if suite not in known]
                if unknown:
                    raise ValueError(
                        f"{section}[{index}].suites: unknown suite {unknown[0]!r} (known: "
                        f"{', '.join(sorted(known))}; declare your own under the top-level 'suites:')"
                    )
        return self

    def sections(self) -> Iterator[tuple[str, list[Target]]]:
        for field in type(self).model_fields:
            value = getattr(self, field)
            if isinstance(value, list) and (not value or isinstance(value[0], Target)):
                yield field, value
        for section, targets in self.custom.items():
            yield f"custom.{section}", list(targets)

    def targets(self, kind_section: str) -> list[Target]:
        """The section's targets, and placeholders of those whose variables are not set."""
        if kind_section in type(self).model_fields:
            found = list(getattr(self, kind_section))
        else:
            found = list(self.custom.get(kind_section, []))
        aside = kind_section if kind_section in type(self).model_fields else f"custom.{kind_section}"
        return found + [target for unresolved, target in self._unresolved if unresolved.section == aside]

    def unresolved(self, target: Target) -> Unresolved | None:
        """Why a placeholder target cannot run (its unset variables), or None for a real one."""
        return next((u for u, placeholder in self._unresolved if placeholder is target), None)

    def unresolved_targets(self) -> list[tuple[Unresolved, Target]]:
        return list(self._unresolved)

    def set_aside(self, unresolved: list[Unresolved]) -> None:
        """Stand-ins for the targets whose variables are unset: unvalidated, never probed."""
        for aside in unresolved:
            section = aside.section
            model = CustomTarget if section.startswith("custom.") else get_args(
                type(self).model_fields[section].annotation)[0]
            self._unresolved.append((aside, model.model_construct(**aside.entry)))

    def timeout_of(self, target: Target) -> float:
        return target.timeout if target.timeout is not None else self.defaults.timeout

    def retries_of(self, target: Target) -> int:
        return target.retries if target.retries is not None else self.defaults.retries


# libyaml's loader when PyYAML was built with it: a 1,000-target profile loads ~10x faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SECTION = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_VARIABLE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def resolve_profile_path(name_or_path: str, profiles_dir: Path) -> Path:
    """A path as given when it names a file, else `profiles_dir/NAME.yaml`."""
    given = Path(name_or_path)
    if given.suffix in (".yaml", ".yml") or given.is_file():
        if not given.is_file():
            raise ProfileError(f"profile file {name_or_path} does not exist")
        return given
    candidate = profiles_dir / f"{name_or_path}.yaml"
    if candidate.is_file():
        return candidate
    known = sorted(p.stem for p in profiles_dir.glob("*.yaml")) if profiles_dir.is_dir() else []
    raise ProfileError(
        f"no profile named {name_or_path!r}: {candidate} does not exist"
        + (f" (available: {', '.join(known)})" if known else "")
    )


def load_profile(path: Path, environ: dict[str, str] | None = None) -> tuple[Profile, Redactor]:
    """Read, interpolate and validate a profile; the redactor knows every secret it holds."""
    environ = dict(os.environ) if environ is None else environ
    try:
        raw = read_extended(path, _read_yaml)
    except InheritError as error:
        raise ProfileError(str(error)) from None
    unresolved = set_aside(raw, environ)
    secret_names = raw.get("secrets") if isinstance(raw.get("secrets"), list) else []
    redactor = Redactor()
    declared = {str(name) for name in secret_names}
    for name in declared & environ.keys():  # masked even where the profile does not use them
        redactor.add(environ[name])
    data = _interpolate(raw, (), path, environ, declared, redactor)
    data = _expand_inventories(data, path)
    # Learn before validating: a validation error quotes the offending value.
    redactor.learn_from(data)
    resolve_paths(data, path.resolve().parent)
    try:
        # The context lets targets tell which of their headers carry a secret.
        profile = Profile.model_validate(data, context={"redact": redactor.redact})
    except ValidationError as exc:
        raise ProfileError(redactor.redact(_describe_validation(path, exc, unresolved))) from None
    for aside in unresolved:
        redactor.learn_from(aside.entry)
    profile.set_aside(unresolved)
    missing = missing_files(profile, path.resolve().parent)
    if missing:
        raise ProfileError(redactor.redact("\n".join(f"{path}: {problem}" for problem in missing)))
    return profile, redactor


def _expand_inventories(data: dict[str, Any], path: Path) -> dict[str, Any]:
    from opsgate.inventory import InventoryError, expand

    try:
        return expand(data, path.parent)
    except InventoryError as error:
        raise ProfileError(f"{path}: {error}") from None


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read profile: {exc.strerror}") from None
    try:
        data = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ProfileError(f"{path}: {where}invalid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise ProfileError(f"{path}: expected a mapping of sections at the top, got {_kind(data)}")
    return data


def _interpolate(
    value: Any, loc: tuple[str | int, ...], path: Path, environ: dict[str, str],
    secret_names: set[str], redactor: Redactor,
) -> Any:
    if isinstance(value, dict):
        return {
            k: _interpolate(v, (*loc, str(k)), path, environ, secret_names, redactor)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [
            _interpolate(v, (*loc, i), path, environ, secret_names, redactor)
            for i, v in enumerate(value)
        ]
    if not isinstance(value, str) or "$" not in value:
        return value

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, default = match.group(1), match.group(2)
        if name in environ:
            resolved = environ[name]
        elif default is not None:
            resolved = default
        else:
            raise ProfileError(
                f"{path}: {format_loc(loc)}: environment variable {name} is not set "
                f"(export it, or write ${{{name}:-default}})"
            )
        if name in secret_names:
            redactor.add(resolved)
        return resolved

    return _VARIABLE.sub(substitute, value)


def format_loc(loc: tuple[str | int, ...]) -> str:
    """`('http', 2, 'expect', 'status')` -> `http[2].expect.status`."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _describe_validation(path: Path, exc: ValidationError, unresolved: list[Unresolved]) -> str:
    lines = []
    for error in exc.errors(include_url=False):
        loc = _as_written(tuple(p for p in error["loc"] if not _is_union_tag(p)), unresolved)
        where = f"{format_loc(loc)}: " if loc else ""  # top-level validators name their own keys
        lines.append(f"{path}: {where}{_expectation(error, loc)}")
    return "\n".join(lines)


def _as_written(loc: tuple[str | int, ...], unresolved: list[Unresolved]) -> tuple[str | int, ...]:
    """The key path with the indexes of the profile as written (targets set aside removed)."""
    if len(loc) >= 3 and loc[0] == "custom" and isinstance(loc[2], int):
        return (*loc[:2], original_index(unresolved, f"custom.{loc[1]}", loc[2]), *loc[3:])
    if len(loc) >= 2 and isinstance(loc[1], int):
        return (loc[0], original_index(unresolved, str(loc[0]), loc[1]), *loc[2:])
    return loc


def _is_union_tag(part: Any) -> bool:
    # pydantic inserts the chosen union member ("function-before[...]", "int") into the loc.
    return isinstance(part, str) and ("[" in part or part in {"int", "str", "float", "list"})


def _expectation(error: Any, loc: tuple[str | int, ...]) -> str:
    kind, message = error["type"], error["msg"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        hint = f" (expected one of: {', '.join(allowed)})" if allowed else ""
        return f"unknown key{hint}"
    if kind == "missing":
        return "required key is missing"
    message = message.removeprefix("Value error, ")
    if kind == "value_error":
        return message
    return f"{message[0].lower()}{message[1:]} (got {_short(error.get('input'))})"


def _allowed_keys(loc: tuple[str | int, ...]) -> list[str]:
    model: Any = Profile
    for part in loc:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        model = _model_in(field.annotation)
        if model is None:
            return []
    return sorted(getattr(model, "model_fields", {}))


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, Strict):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__
