"""The `opsgate` console script: `opsgate init [DIR]`, `opsgate schema`, `opsgate merge DIR…`.

Checks themselves run under pytest (`pytest --profile=...`); this command only sets up an ops
repository and describes the profile format.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from opsgate import __version__

SCHEMA_FILE = "opsgate.schema.json"
# Where each starter file goes in a new ops repository (one profile per environment).
STARTER = {
    "profiles/production.yaml": ("profile.yaml", {"ENVIRONMENT": "production"}),
    "profiles/staging.yaml": ("profile.yaml", {"ENVIRONMENT": "staging"}),
    "conftest.py": ("conftest.py.in", {}),
    "pyproject.toml": ("pyproject.toml.in", {"VERSION": __version__}),
    ".gitignore": ("gitignore", {}),
    ".github/workflows/opsgate-post-deploy.yml": ("post-deploy.yml", {}),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="opsgate", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"opsgate {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="write a starter ops repository into DIR")
    init.add_argument("directory", nargs="?", default=".", metavar="DIR")
    commands.add_parser("schema", help="print the profile's JSON Schema")
    merge = commands.add_parser("merge", help="join the reports of sharded runs (--shard I/N) into one")
    merge.add_argument("parts", nargs="+", metavar="DIR", help="a reports directory of one part")
    merge.add_argument("--out", default="reports/merged", metavar="DIR",
                       help="where the merged summary.json, summary.md and junit.xml go")
    args = parser.parse_args(argv)
    if args.command == "schema":
        return _print_schema()
    if args.command == "merge":
        return _merge([Path(part) for part in args.parts], Path(args.out))
    return _init(Path(args.directory))


def _merge(parts: list[Path], out: Path) -> int:
    """The merged run's verdict as the exit status; 4 (a usage error) when a part cannot be read."""
    from opsgate.merge import MergeError, merge

    try:
        status = merge(parts, out)
    except MergeError as error:
        print(f"opsgate merge: {error}", file=sys.stderr)
        return 4
    print(f"opsgate merge: {len(parts)} part(s) -> {out}/ (summary.json, summary.md, junit.xml), "
          f"exit status {status}")
    return status


def _print_schema() -> int:
    from opsgate.schema import profile_schema

    print(json.dumps(profile_schema(), indent=2))
    return 0


def _init(root: Path) -> int:
    from opsgate.schema import profile_schema

    files = {path: _starter_text(source, replacements)
             for path, (source, replacements) in STARTER.items()}
    files[f"profiles/{SCHEMA_FILE}"] = json.dumps(profile_schema(), indent=2) + "\n"
    existing = [path for path in files if (root / path).exists()]
    if existing:
        print(f"opsgate init: {', '.join(str(root / p) for p in existing)} already exist(s); "
              "nothing written", file=sys.stderr)
        return 1
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    print(f"opsgate: wrote a starter ops repository in {root}:")
    for path in files:
        print(f"  {path}")
    print("next: edit profiles/production.yaml, then "
          "`pytest --profile=profiles/production.yaml --collect-only` to validate it")
    return 0


def _starter_text(source: str, replacements: dict[str, str]) -> str:
    text = resources.files("opsgate").joinpath("starter", source).read_text(encoding="utf-8")
    for placeholder, value in replacements.items():
        text = text.replace(placeholder, value)
    return text


if __name__ == "__main__":
    sys.exit(main())
