"""The environment profile: YAML loading, `${ENV}` interpolation, schema and readable errors."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn, get_args

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
from opsgate.units import Timeout
from opsgate.waivers import Waiver


class ProfileError(Exception):
    """A profile that cannot be used; the message names the file, key path and expectation."""


class Defaults(Strict):
    timeout: Timeout = 10.0
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


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader, libyaml's when PyYAML was built with it (a 1,000-target profile loads ~10x
    faster), whose explicitly tagged values that cannot be read (`!!int x`, `!!timestamp
    2001-02-30`) are YAML errors at their line rather than bare ValueErrors."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except ValueError:  # its message may quote the value, which may be a secret: not shown
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            raise yaml.constructor.ConstructorError(
                None, None, f"the value cannot be read as {tag}", node.start_mark) from None

_SECTION = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_VARIABLE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
# A profile is a page of YAML: a 1,000-target profile is 100-150 KiB. Larger is a mistake, or input
# meant to stall the gate, and is refused before it is parsed.
MAX_PROFILE_BYTES = 1024 * 1024
# Values a document may hold once its aliases are expanded. Aliases cost nothing to parse, but
# every consumer walks them expanded: 10 lines of 9 levels x 9 aliases hold 9^9 values.
MAX_VALUES = 100_000
# Nesting deeper than any profile key path; every walk of the document recurses per level.
MAX_DEPTH = 32
_MERGE_TAG = "tag:yaml.org,2002:merge"


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
    # Learn before validating: a validation error quotes the offending value. `secrets:` holds
    # variable names, which are not secrets (its key name would make them read as one).
    redactor.learn_from({key: value for key, value in data.items() if key != "secrets"})
    resolve_paths(data, path.resolve().parent)
    try:
        # The context lets targets tell which of their headers carry a secret.
        profile = Profile.model_validate(data, context={"redact": redactor.redact})
    except ValidationError as exc:
        described = _describe_validation(path, exc, data, redactor, unresolved)
        raise ProfileError(redactor.redact(described)) from None
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


def _read_text(path: Path) -> str:
    """The profile's text: at most MAX_PROFILE_BYTES of UTF-8 (a byte-order mark is allowed)."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_PROFILE_BYTES + 1)
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read profile: {exc.strerror}") from None
    if len(data) > MAX_PROFILE_BYTES:
        raise ProfileError(f"{path}: the profile is larger than {MAX_PROFILE_BYTES // 1024} KiB, "
                           "the most a profile may be; split it or check it is the right file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ProfileError(f"{path}: line {line}: not UTF-8 text (byte {data[exc.start]:#04x} at "
                           f"offset {exc.start}); save the profile as UTF-8") from None


def _read_yaml(path: Path) -> dict[str, Any]:
    text = _read_text(path)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _DocumentShape(path).measure(node, ())
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ProfileError(f"{path}: {where}invalid YAML: {problem}") from None
    except RecursionError:  # PyYAML without libyaml composes nested values by recursion
        raise ProfileError(f"{path}: values nest deeper than {MAX_DEPTH} levels") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise ProfileError(f"{path}: expected a mapping of sections at the top, got {_kind(data)}")
    return data


class _DocumentShape:
    """Checks of a parsed YAML node graph before it becomes data: no key twice in a mapping (YAML
    would keep the last silently), no `${VAR}` in a key (only values are interpolated), no alias
    that contains itself, and bounded nesting and size with aliases expanded (alias bombs).

    Each node is walked once; a node reached again through an alias adds its memoized size."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.measured: dict[int, tuple[int, int]] = {}  # id(node) -> (values, height)
        self.open: set[int] = set()

    def measure(self, node: yaml.Node, loc: tuple[str | int, ...]) -> tuple[int, int]:
        """(values in the expanded subtree, its height) of `node`, found at `loc`."""
        known = self.measured.get(id(node))
        if known is None:
            if id(node) in self.open:
                self._refuse(node, loc, "an alias refers to a value that contains it (a recursive "
                                        "structure); a profile is a tree")
            self.open.add(id(node))
            known = self._measure_children(node, loc)
            self.open.discard(id(node))
            self.measured[id(node)] = known
        if len(loc) + known[1] > MAX_DEPTH:
            self._refuse(node, loc, f"values nest deeper than {MAX_DEPTH} levels")
        return known

    def _measure_children(self, node: yaml.Node, loc: tuple[str | int, ...]) -> tuple[int, int]:
        values, height = 1, 0
        for child_loc, child in self._children(node, loc):
            if len(child_loc) > MAX_DEPTH:
                self._refuse(child, child_loc, f"values nest deeper than {MAX_DEPTH} levels")
            size, child_height = self.measure(child, child_loc)
            values, height = values + size, max(height, child_height + 1)
            if values > MAX_VALUES:
                self._refuse(node, loc, f"the profile holds more than {MAX_VALUES:,} values with its "
                                        "aliases expanded (nested aliases multiply: an alias bomb?)")
        return values, height

    def _children(
        self, node: yaml.Node, loc: tuple[str | int, ...],
    ) -> Iterator[tuple[tuple[str | int, ...], yaml.Node]]:
        if isinstance(node, yaml.SequenceNode):
            yield from (((*loc, index), item) for index, item in enumerate(node.value))
        elif isinstance(node, yaml.MappingNode):
            seen: dict[tuple[str, str], int] = {}
            for key, value in node.value:
                if key.tag == _MERGE_TAG:  # `<<: *defaults`: its keys may be overridden here
                    yield loc, value
                    continue
                name = key.value if isinstance(key, yaml.ScalarNode) else "?"
                self._check_key(key, (*loc, name), seen)
                yield (*loc, name), value

    def _check_key(
        self, key: yaml.Node, loc: tuple[str | int, ...], seen: dict[tuple[str, str], int],
    ) -> None:
        if not isinstance(key, yaml.ScalarNode):
            return
        identity = (key.tag, key.value)
        if identity in seen:
            self._refuse(key, loc, f"duplicate key {key.value!r} (also on line {seen[identity]}); "
                                   "YAML would keep only the last one, silently")
        seen[identity] = key.start_mark.line + 1
        if any(match.group(1) for match in _VARIABLE.finditer(key.value)):
            self._refuse(key, loc, "${...} is interpolated in values only, not in keys such as "
                                   "header names; write the key literally")

    def _refuse(self, node: yaml.Node, loc: tuple[str | int, ...], problem: str) -> NoReturn:
        raise ProfileError(f"{self.path}: line {node.start_mark.line + 1}: {format_loc(loc)}: {problem}")


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


def _describe_validation(
    path: Path, exc: ValidationError, data: Any, redactor: Redactor, unresolved: list[Unresolved],
) -> str:
    lines = []
    for written, error in _one_per_mistake(exc.errors(include_url=False), data):
        loc = _as_written(written, unresolved)
        where = f"{format_loc(loc)}: " if loc else ""  # top-level validators name their own keys
        lines.append(f"{path}: {where}{_expectation(error, loc, redactor)}")
    return "\n".join(lines)


def _as_written(loc: tuple[str | int, ...], unresolved: list[Unresolved]) -> tuple[str | int, ...]:
    """The key path with the indexes of the profile as written (targets set aside removed)."""
    if len(loc) >= 3 and loc[0] == "custom" and isinstance(loc[2], int):
        return (*loc[:2], original_index(unresolved, f"custom.{loc[1]}", loc[2]), *loc[3:])
    if len(loc) >= 2 and isinstance(loc[1], int):
        return (loc[0], original_index(unresolved, str(loc[0]), loc[1]), *loc[2:])
    return loc


def _one_per_mistake(errors: list[Any], data: Any) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """(key path as the user wrote it, error) for each mistake.

    Pydantic reports a value that fits no member of a union once per member, each with the member's
    name in the path (`security_headers.SecurityHeadersPolicy.requir`, `literal['baseline']`). Only
    the members of the value's shape speak (a mapping: the model's errors); when none has it, one
    error lists what the key takes."""
    # In pydantic's order (target by target): a plain error stands for itself, a union for its group.
    groups: dict[tuple[Any, ...], list[tuple[str, Any]]] = {}
    for index, error in enumerate(errors):
        at = next((i for i, part in enumerate(error["loc"]) if _is_union_tag(part)), None)
        key = (index,) if at is None else ("union", *error["loc"][:at])
        groups.setdefault(key, []).append(("", error) if at is None else (error["loc"][at], error))
    for key, tagged in groups.items():
        if key[0] != "union":
            yield tuple(tagged[0][1]["loc"]), tagged[0][1]
        else:
            yield from _union_mistake(key[1:], tagged, data)


def _union_mistake(
    prefix: tuple[str | int, ...], tagged: list[tuple[str, Any]], data: Any,
) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    value = _value_at(data, prefix)
    fitting = [(tag, error) for tag, error in tagged if _shape_of(tag) == _shape_of_value(value)]
    if fitting:
        for _, error in fitting:
            yield tuple(p for p in error["loc"] if not _is_union_tag(p)), error
    else:
        takes = list(dict.fromkeys(_TAKES.get(_shape_of(tag) or "", tag) for tag, _ in tagged))
        alternatives = ", ".join(takes[:-1]) + " or " + takes[-1] if len(takes) > 1 else takes[0]
        yield prefix, {"type": "union", "msg": f"expected {alternatives}", "input": value}


def _value_at(data: Any, loc: tuple[str | int, ...]) -> Any:
    for part in loc:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data


_TAKES = {"mapping": "a mapping", "list": "a list", "text": "a string", "number": "a number",
          "bool": "true or false"}


def _shape_of_value(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    for shape, kinds in (("mapping", dict), ("list", list), ("text", str), ("number", int | float)):
        if isinstance(value, kinds):
            return shape
    return "other"


def _shape_of(tag: str) -> str | None:
    """The shape of value a union member takes, from the name pydantic gives it in a path."""
    if tag in _model_names() or tag.startswith("dict["):
        return "mapping"
    if tag.startswith(("list[", "tuple[", "set[")):
        return "list"
    if tag == "str" or tag.startswith("literal['"):
        return "text"
    return {"int": "number", "float": "number", "bool": "bool"}.get(tag)


@cache
def _model_names() -> frozenset[str]:
    names, pending = set(), [Strict]
    while pending:
        model = pending.pop()
        names.add(model.__name__)
        pending.extend(model.__subclasses__())
    return frozenset(names)


def _is_union_tag(part: Any) -> bool:
    # pydantic inserts the chosen union member ("function-before[...]", "int") into the loc.
    return isinstance(part, str) and (
        "[" in part or part in {"int", "str", "float", "list", "bool"} or part in _model_names())


def _expectation(error: Any, loc: tuple[str | int, ...], redactor: Redactor) -> str:
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
    return f"{message[0].lower()}{message[1:]} (got {_short(error.get('input'), redactor)})"


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


def _short(value: Any, redactor: Redactor) -> str:
    """The value as quoted in an error: redacted, then cut (cut first, a long secret's head leaks)."""
    text = redactor.redact(repr(value))
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__
