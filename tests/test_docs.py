"""The docs cannot drift from the code: every profile key the schema knows is on its page, the
README stays a front door, and the docs index links what exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from opsgate.profile import Profile
from opsgate.schema import profile_schema
from opsgate.targets import Target
from tests.conftest import REPO

DOCS = REPO / "docs"
SCHEMA = profile_schema()
COMMON = set(Target.model_fields)
SECTIONS = {name: SCHEMA["properties"][name]["items"]["$ref"].rsplit("/", 1)[1]
            for name, field in Profile.model_fields.items()
            if name != "custom" and "Target" in str(field.annotation)}


def documented(page: Path, key: str) -> bool:
    return re.search(rf"`{re.escape(key)}[`.\s/\[:=]", page.read_text()) is not None


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_every_key_of_a_kind_is_on_its_page(section: str) -> None:
    page = DOCS / "checks" / f"{section}.md"
    keys = set(SCHEMA["$defs"][SECTIONS[section]]["properties"]) - COMMON
    assert page.is_file(), f"docs/checks/{section}.md is missing"
    assert sorted(key for key in keys if not documented(page, key)) == []


def test_the_profile_reference_lists_every_top_level_and_common_key() -> None:
    page = DOCS / "profile.md"
    keys = set(SCHEMA["properties"]) | COMMON
    assert sorted(key for key in keys if not documented(page, key)) == []


def test_the_readme_is_a_front_door() -> None:
    readme = (REPO / "README.md").read_text()
    assert len(readme.encode()) <= 12_500
    for command in ("python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/pytest --profile local",
                    "bash .ci/run", "# yaml-language-server: $schema="):
        assert command in readme
    assert "python3 -m venv .venv" in (REPO / ".ci" / "run").read_text()


def test_links_between_pages_lead_somewhere() -> None:
    pages = [REPO / "README.md", *DOCS.rglob("*.md")]
    broken = []
    for page in pages:
        for line in page.read_text().splitlines():
            for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", line):
                if not (page.parent / target).exists() and "(not written yet)" not in line:
                    broken.append(f"{page.relative_to(REPO)} -> {target}")
    assert broken == []
