"""The config probe on real files (dotenv, JSON, YAML, TOML), the run's environment and a host over ssh."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from opsgate.errors import ProbeFailure
from opsgate.probes.config import ConfigFacts, parse_env_file, probe
from opsgate.targets.config import ConfigTarget
from tests.probes.test_host import SshServer, needs_sshd


def run(**fields: Any) -> ConfigFacts:
    return probe(ConfigTarget.model_validate({"name": "t", **fields}), 10.0)


def test_dotenv_lines_are_read_like_the_loaders_do() -> None:
    assert parse_env_file(
        "# comment\nexport DATABASE_URL=postgres://u:p@db/app\nEMPTY=\nQUOTED=\"a b\"\n"
        "SINGLE='x=y'\nCOMMENTED=value # trailing\nnot a line\n"
    ) == {"DATABASE_URL": "postgres://u:p@db/app", "EMPTY": "", "QUOTED": "a b", "SINGLE": "x=y",
          "COMMENTED": "value"}


def test_values_are_kept_only_for_shapes_and_never_shown(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("STRIPE_SECRET=whsec_abc123\nDATABASE_URL=postgres://u:p@db/app\n")
    facts = run(env_file=str(env), shapes={"DATABASE_URL": "url"})
    assert facts.keys == {"STRIPE_SECRET", "DATABASE_URL"} and set(facts.values or {}) == {"DATABASE_URL"}
    assert "whsec_abc123" not in repr(facts) and "postgres://" not in repr(facts)
    assert "whsec_abc123" not in facts.evidence()


def test_the_environment_of_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSGATE_T_SET", "1")
    monkeypatch.setenv("OPSGATE_T_EMPTY", "")
    facts = run(env=["OPSGATE_T_SET", "OPSGATE_T_EMPTY"])
    assert {"OPSGATE_T_SET", "OPSGATE_T_EMPTY"} <= facts.keys and "OPSGATE_T_EMPTY" in facts.empty
    assert facts.source == "the environment of the run"


def test_structured_files_by_path(tmp_path: Path) -> None:
    for name, text in (("c.json", '{"database": {"url": "postgres://db/app"}, "workers": 4}'),
                       ("c.yaml", "database:\n  url: postgres://db/app\nworkers: 4\n"),
                       ("c.toml", '[database]\nurl = "postgres://db/app"\nworkers = 4\n')):
        (tmp_path / name).write_text(text)
        facts = run(file=str(tmp_path / name), keys=["database.url", "redis.url"])
        assert "database.url" in facts.keys and facts.missing_paths == {
            "redis.url": "redis does not exist (the document is a dict)"}


def test_a_broken_or_missing_file_is_a_finding_without_its_content(tmp_path: Path) -> None:
    bad = tmp_path / "settings.json"
    bad.write_text('{"api_key": "sk-live-secret",\n  "x": }')
    with pytest.raises(ProbeFailure, match=r"settings.json is not valid JSON near line 2: the") as info:
        run(file=str(bad), keys=["api_key"])
    assert "sk-live-secret" not in str(info.value)
    with pytest.raises(ProbeFailure, match=r"nowhere.env does not exist: the deploy did not write it"):
        run(env_file=str(tmp_path / "nowhere.env"))



@needs_sshd
def test_over_ssh_the_hosts_environment_and_files(sshd: SshServer, tmp_path: Path) -> None:
    over = {"connection": sshd.connection, "ssh_config": str(sshd.ssh_config)}
    facts = run(env=["SSH_CONNECTION", "OPSGATE_NOT_THERE"], **over)
    assert "SSH_CONNECTION" in facts.keys and "OPSGATE_NOT_THERE" not in facts.keys
    assert facts.source == "the environment on ssh://probe1"
    (tmp_path / ".env").write_text("A=1\n")
    (tmp_path / ".env.example").write_text("A=\nB=\n")
    facts = run(env_file=str(tmp_path / ".env"), example=str(tmp_path / ".env.example"), **over)
    assert (facts.keys, facts.example_keys) == ({"A"}, {"A", "B"})
    with pytest.raises(ProbeFailure, match=r"ssh://probe1: cannot read /nonexistent/.env: cat: .*No such"):
        run(env_file="/nonexistent/.env", **over)
