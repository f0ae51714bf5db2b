"""Where a run's parts live: the built-in checks, a team's own checks, the reports.

An ops repository holds profiles and, optionally, a `checks/` directory of its own check kinds;
opsgate's built-in checks ship inside the package (`opsgate/checks`, which is the repository's
`checks/` in a source checkout). Everything is placed relative to the profile, not to the current
directory, so a run gives the same result from wherever it starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

BUILTIN_CHECKS = Path(__file__).resolve().parent / "checks"


def ops_root(profile_path: Path) -> Path:
    """The ops repository of a profile: its directory, or the parent of a `profiles/` directory."""
    directory = profile_path.resolve().parent
    return directory.parent if directory.name == "profiles" else directory


def check_dirs(profile_path: Path) -> list[Path]:
    """What a run with this profile collects: the built-in checks, then the team's own."""
    dirs = [BUILTIN_CHECKS.resolve()]
    own = (ops_root(profile_path) / "checks").resolve()
    if own.is_dir() and own not in dirs:
        dirs.append(own)
    return dirs


def default_reports_dir(profile_path: Path) -> Path:
    return ops_root(profile_path) / "reports"


def spaced_profile_path(args: Sequence[str]) -> str | None:
    """The PATH of a `--profile PATH` written with a space, if it names a file path.

    pytest picks its rootdir, ini file and test paths from the command line before any plugin
    is loaded; at that moment `--profile` is unknown, so PATH counts as a test path. A bare
    profile name (`--profile local`) names no existing path and does no harm.
    """
    for option, value in zip(args, args[1:], strict=False):
        if option == "--profile" and _looks_like_a_path(value):
            return value
    return None


def _looks_like_a_path(value: str) -> bool:
    return "/" in value or value.endswith((".yaml", ".yml")) or Path(value).exists()
