"""The built wheel, installed into a fresh venv, run from a directory that is not the checkout:
the built-in checks ship inside the package and a team's custom check beside its profile runs too."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, files_of_doc, free_port
from tests.servers import RedisServer

# What a source tree copy for the build leaves out: the checkout's venv, git and run outputs.
_NOT_SOURCE = shutil.ignore_patterns(".venv", ".git", "reports", "build", "dist", "*.egg-info",
                                     "__pycache__", ".ruff_cache")


def _run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None,
         timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source") / "opsgate"
    shutil.copytree(REPO, source, symlinks=True, ignore=_NOT_SOURCE)
    out = tmp_path_factory.mktemp("dist")
    built = _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", out, source, cwd=out)
    assert built.returncode == 0, built.stderr[-3000:]
    [found] = out.glob("opsgate-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("venv") / "venv"
    made = _run(getattr(sys, "_base_executable", sys.executable), "-m", "venv", home, cwd=home.parent)
    assert made.returncode == 0, made.stderr
    installed = _run(home / "bin" / "pip", "install", "-q", wheel, cwd=home.parent)
    assert installed.returncode == 0, installed.stderr[-3000:]
    return home


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with RedisServer(tmp_path_factory.mktemp("heartbeat-redis")) as server:
        yield server


def test_the_wheel_ships_every_check_module(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {Path(name).name for name in names if name.startswith("opsgate/checks/")}
    written = {path.name for path in (REPO / "checks").glob("*.py")}
    assert shipped == written
    starter = {Path(name).name for name in names if name.startswith("opsgate/starter/")}
    assert starter == {path.name for path in (REPO / "src/opsgate/starter").iterdir()}


def test_the_installed_console_script_writes_a_starter_repository(venv: Path, tmp_path: Path) -> None:
    made = _run(venv / "bin" / "opsgate", "init", "ops", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "ops" / "profiles" / "production.yaml").is_file()


def test_an_installed_opsgate_runs_every_builtin_and_a_custom_check_from_anywhere(
    venv: Path, redis_server: RedisServer, tmp_path: Path,
) -> None:
    ops = tmp_path / "ops"
    for name, text in files_of_doc("custom-checks.md").items():
        (ops / name).parent.mkdir(parents=True, exist_ok=True)
        (ops / name).write_text(text)
    profile = ops / "profiles" / "production.yaml"
    # The "try it" profile (every built-in kind) plus the docs' custom section.
    custom = profile.read_text().split("custom:", 1)[1]
    profile.write_text((REPO / "profiles" / "local.yaml").read_text() + "\ncustom:" + custom)
    redis_server.client().set("heartbeat:billing", "9999999999")  # in the future: age < 0, fresh
    elsewhere = tmp_path / "ci-workdir"
    elsewhere.mkdir()
    env = {**os.environ, "REDIS_URL": redis_server.url, "OPSGATE_DEMO_PORT": str(free_port()),
           "OPSGATE_DEMO_HTTPS_PORT": str(free_port())}
    env.pop("OPSGATE_PROFILE", None)
    result = _run(venv / "bin" / "pytest", f"--profile={profile}", "-p", "no:cacheprovider",
                  cwd=elsewhere, env=env)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert str(REPO) not in result.stdout, "the run used the checkout, not the installed package"
    assert list(elsewhere.iterdir()) == [], "the run wrote into the directory it started from"
    summary = json.loads((ops / "reports" / "summary.json").read_text())
    kinds = {record["check"] for record in summary["checks"]}
    assert kinds >= {"http", "security_headers", "redis", "databases", "queues", "tls", "dns",
                     "webhooks", "latency", "metrics", "backups", "hosts", "heartbeats"}
    assert summary["totals"]["fail"] == summary["totals"]["error"] == 0
