"""Config probe: the settings of one source (environment, env file and its example, JSON/YAML/TOML file).

Values are kept only for the keys whose shape the target checks, wrapped so that no repr, log or
report ever shows them. Files are read, never written; over ssh, `env` and `cat` are the commands.
"""

from __future__ import annotations

import json
import os
import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from opsgate.deadline import Deadline
from opsgate.errors import ProbeConfigError, ProbeFailure
from opsgate.jsonpath import PathMissing, lookup
from opsgate.probes.shell import run_command
from opsgate.redact import clip
from opsgate.targets.config import ConfigTarget


@dataclass(frozen=True, repr=False)
class Hidden:
    """A setting's value: readable by the judge, shown nowhere (`<hidden>` in any repr)."""

    value: Any

    def __repr__(self) -> str:
        return "<hidden>"

    __str__ = __repr__


@dataclass(frozen=True)
class ConfigFacts:
    """Which keys the source has (empty ones apart), the example's keys, and the checked keys' values."""

    source: str
    keys: frozenset[str]
    empty: frozenset[str]
    example_keys: frozenset[str] | None = None
    values: dict[str, Hidden] | None = None
    missing_paths: dict[str, str] | None = None

    def evidence(self) -> str:
        lines = [f"# {self.source}: {len(self.keys)} key(s) (names only, values never shown)"]
        lines += [f"  {key}{' (empty)' if key in self.empty else ''}" for key in sorted(self.keys)]
        if self.example_keys is not None:
            listed = ", ".join(sorted(self.example_keys))
            lines.append(f"# example: {len(self.example_keys)} key(s): {listed}")
        return "\n".join(lines)


def probe(target: ConfigTarget, timeout: float) -> ConfigFacts:
    """Read the target's source (and example) within `timeout`; a missing file is a finding."""
    deadline = Deadline(timeout)
    if target.env is not None:
        settings = _environment(target, deadline)
        return _facts(target, settings)
    if target.env_file is not None:
        settings = parse_env_file(_read(target, target.env_file, deadline))
        example = None
        if target.example is not None:
            example = frozenset(parse_env_file(_read(target, target.example, deadline)))
        return _facts(target, settings, example)
    assert target.file is not None
    document = _parse_document(target, _read(target, target.file, deadline))
    return _document_facts(target, document)


def parse_env_file(text: str) -> dict[str, str]:
    """`KEY=value` lines of a dotenv file (`export` prefixes, comments and quotes handled)."""
    settings: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.removeprefix("export ").split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        settings[key.strip()] = value
    return settings


def _facts(target: ConfigTarget, settings: dict[str, str],
           example: frozenset[str] | None = None) -> ConfigFacts:
    return ConfigFacts(
        source=target.source, keys=frozenset(settings),
        empty=frozenset(key for key, value in settings.items() if not value.strip()),
        example_keys=example,
        values={key: Hidden(settings[key]) for key in target.shapes if key in settings},
    )


def _document_facts(target: ConfigTarget, document: Any) -> ConfigFacts:
    found: dict[str, Any] = {}
    missing: dict[str, str] = {}
    for path in dict.fromkeys([*target.keys, *target.shapes]):
        try:
            found[path] = lookup(document, path)
        except PathMissing as exc:
            missing[path] = str(exc)
    empty = frozenset(path for path, value in found.items() if value is None or value == "")
    top = frozenset(document) if isinstance(document, dict) else frozenset()
    return ConfigFacts(source=target.source, keys=frozenset(found) | top, empty=empty,
                       values={path: Hidden(found[path]) for path in target.shapes if path in found},
                       missing_paths=missing)


def _environment(target: ConfigTarget, deadline: Deadline) -> dict[str, str]:
    if target.scheme == "local":
        return dict(os.environ)
    output = run_command(target, "env", deadline)
    if output.status != 0:
        raise ProbeFailure(f"{target.connection}: `env` failed: {clip(output.stderr.strip(), 200)}")
    return dict(line.split("=", 1) for line in output.stdout.splitlines() if "=" in line)


def _read(target: ConfigTarget, path: str, deadline: Deadline) -> str:
    if target.scheme != "local":
        output = run_command(target, f"cat -- {shlex.quote(path)}", deadline)
        if output.status != 0:
            raise ProbeFailure(f"{target.connection}: cannot read {path}: {clip(output.stderr.strip(), 200)}")
        return output.stdout
    local = Path(os.path.expanduser(path))
    try:
        return local.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProbeFailure(f"{path} does not exist: the deploy did not write it, or the profile points at "
                           "the wrong path") from None
    except OSError as exc:
        raise ProbeConfigError(f"cannot read {path}: {exc.strerror}; give the checking user read access"
                               ) from None


def _parse_document(target: ConfigTarget, text: str) -> Any:
    fmt = target.file_format
    try:
        if fmt == "json":
            return json.loads(text)
        if fmt == "toml":
            return tomllib.loads(text)
        return yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        # The parser's message may quote the offending line: name the position only.
        where = getattr(exc, "lineno", None) or getattr(getattr(exc, "problem_mark", None), "line", None)
        at = f" near line {where}" if where else ""
        raise ProbeFailure(f"{target.file} is not valid {fmt.upper()}{at}: the service would fail to start "
                           "with it; fix the file (the deploy may have written it half)") from None
