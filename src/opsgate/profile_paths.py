"""File paths in a profile: read from the profile's own directory, and checked when it is loaded.

A relative `ca_bundle: certs/internal-ca.pem` means the file beside the profile, whatever the
current directory of the run; a missing file is a profile error at load time, so
`pytest --collect-only` (the way to validate a profile) catches it before any run does.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opsgate.profile import Profile

# Files the checks read: they must exist when the profile is loaded.
FILE_KEYS = ("ca_bundle", "ssh_config", "ssh_identity_file")
# Patterns whose matches are the check's business (no backup yet is a finding, not a typo).
PATTERN_KEYS = {"backups": ("path",)}
# An object-store location (`s3://bucket/prefix`) is not a path on this machine.
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def resolve_paths(data: dict[str, Any], base: Path) -> None:
    """Make the relative paths of the profile's built-in sections absolute, against `base`."""
    for section, entries in data.items():
        if not isinstance(entries, list):
            continue
        keys = FILE_KEYS + PATTERN_KEYS.get(section, ())
        for entry in entries:
            if isinstance(entry, dict):
                _resolve_keys(entry, keys, base)
    if isinstance(data.get("demo"), dict):
        _resolve_keys(data["demo"], ("ca_bundle",), base)


def _resolve_keys(entry: dict[str, Any], keys: tuple[str, ...], base: Path) -> None:
    for key in keys:
        value = entry.get(key)
        if isinstance(value, str) and value.strip() and not _URL.match(value):
            expanded = os.path.expanduser(value)
            entry[key] = expanded if os.path.isabs(expanded) else os.path.normpath(base / expanded)


def missing_files(profile: Profile, base: Path) -> list[str]:
    """`section[i].key: ...` for every file a target names that does not exist. The demo's CA
    bundle is exempt: the demo target writes it when it starts."""
    written_by_demo = profile.demo.ca_bundle if profile.demo else None
    problems = []
    for section, targets in profile.sections():
        for index, target in enumerate(targets):
            for key in FILE_KEYS:
                value = getattr(target, key, None)
                if value and value != written_by_demo and not Path(value).is_file():
                    problems.append(
                        f"{section}[{index}].{key}: file {value} does not exist (a relative path "
                        f"is read from the profile's directory, {base})"
                    )
    return problems
