"""`opsgate init` writes a starter ops repository that validates; `opsgate schema` describes
every shipped profile (validated with jsonschema) and refuses a wrong one."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from opsgate.cli import main
from opsgate.profile import Profile, load_profile
from tests.conftest import REPO

SHIPPED = sorted((REPO / "profiles").rglob("*.yaml"))


@pytest.fixture(scope="module")
def schema() -> dict:
    printed = subprocess.run([Path(sys.executable).with_name("opsgate"), "schema"],
                             capture_output=True, text=True, check=True, timeout=60)
    loaded = json.loads(printed.stdout)
    jsonschema.Draft202012Validator.check_schema(loaded)
    return loaded


def uncommented(text: str) -> str:
    """A starter profile with its examples switched on: `# ` removed, `## ` notes kept."""
    return re.sub(r"^# (?!#|yaml-language-server)", "", text, flags=re.M)


def test_init_writes_a_starter_repository_whose_profile_validates(tmp_path: Path) -> None:
    assert main(["init", str(tmp_path / "ops")]) == 0
    ops = tmp_path / "ops"
    for path in ("profiles/production.yaml", "profiles/staging.yaml", "profiles/opsgate.schema.json",
                 "conftest.py", "pyproject.toml", ".gitignore",
                 ".github/workflows/opsgate-post-deploy.yml"):
        assert (ops / path).is_file(), path
    assert "reports/" in (ops / ".gitignore").read_text().splitlines()
    assert '"opsgate==' in (ops / "pyproject.toml").read_text()
    assert "pytest --profile=profiles/production.yaml -m smoke" in (
        ops / ".github/workflows/opsgate-post-deploy.yml").read_text()
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--profile=profiles/production.yaml", "--collect-only", "-q",
         "-p", "no:cacheprovider"], cwd=ops, capture_output=True, text=True, timeout=120, check=False)
    assert collected.returncode == 0, collected.stdout + collected.stderr
    assert "test_http.py::test_http[api-health]" in collected.stdout


def test_init_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "production.yaml").write_text("name: mine\n")
    assert main(["init", str(tmp_path)]) == 1
    assert "already exist(s); nothing written" in capsys.readouterr().err
    assert (tmp_path / "profiles" / "production.yaml").read_text() == "name: mine\n"
    assert not (tmp_path / "conftest.py").exists()


def test_the_starter_examples_cover_every_kind_and_validate(tmp_path: Path, schema: dict) -> None:
    assert main(["init", str(tmp_path)]) == 0
    for name in ("production", "staging"):
        path = tmp_path / "profiles" / f"{name}.yaml"
        path.write_text(uncommented(path.read_text()))
        profile, _ = load_profile(path, environ={})
        assert profile.name == name
        used = {section for section, targets in profile.sections() if targets}
        builtin = {name for name, field in Profile.model_fields.items()
                   if name != "custom" and "Target" in str(field.annotation)}
        assert used >= builtin | {"custom.heartbeats"}
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)


@pytest.mark.parametrize("path", SHIPPED, ids=[str(p.relative_to(REPO)) for p in SHIPPED])
def test_every_shipped_profile_follows_the_schema(path: Path, schema: dict) -> None:
    jsonschema.validate(yaml.safe_load(path.read_text()), schema)


@pytest.mark.parametrize(("mistake", "where"), [
    ({"http": [{"name": "a", "url": "http://x/", "expcet": {}}]}, "expcet"),
    ({"http": [{"name": "a", "url": "http://x/", "timeout": [1]}]}, "timeout"),
    ({"tls": [{"name": "a", "host": "x", "days_left": {"warn": 20, "critical": 5}}]}, "critical"),
])
def test_the_schema_refuses_what_the_loader_refuses(mistake: dict, where: str, schema: dict) -> None:
    with pytest.raises(jsonschema.ValidationError) as error:
        jsonschema.validate({"name": "p", **mistake}, schema)
    assert where in str(error.value) or where in error.value.absolute_path


def test_variables_are_accepted_where_numbers_go(schema: dict) -> None:
    jsonschema.validate({"name": "p", "tls": [{"name": "a", "host": "x", "port": "${TLS_PORT:-443}"}]},
                        schema)
