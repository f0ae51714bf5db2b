"""The config check end to end: env files, a YAML file and the run's environment; values never shown."""

from __future__ import annotations

import pytest

from tests.conftest import RunChecks

SECRET = "whsec_9f8e7d6c5b4a"


def test_a_complete_configuration_passes(
    run_checks: RunChecks, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSGATE_T_STRIPE_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("OPSGATE_T_RATE_LIMIT_PER_MINUTE", "60")
    (pytester.path / ".env").write_text("DATABASE_URL=postgres://app@db/shop\nDEBUG=false\nEXTRA=1\n")
    (pytester.path / ".env.example").write_text("DATABASE_URL=\nDEBUG=\n")
    (pytester.path / "settings.yaml").write_text("redis: {url: 'redis://cache:6379/0'}\nworkers: 4\n")
    result = run_checks("""
        name: t
        config:
          - name: runtime
            env: [OPSGATE_T_STRIPE_WEBHOOK_SECRET, OPSGATE_T_RATE_LIMIT_PER_MINUTE]
            shapes:
              OPSGATE_T_STRIPE_WEBHOOK_SECRET: {matches: "^whsec_"}
              OPSGATE_T_RATE_LIMIT_PER_MINUTE: {type: integer, min: 1, max: 1000}
          - {name: dotenv, env_file: .env, example: .env.example, shapes: {DATABASE_URL: url, DEBUG: boolean}}
          - name: settings
            file: settings.yaml
            keys: [workers]
            shapes: {redis.url: {type: url, schemes: [redis]}}
    """, "-m", "smoke")
    result.assert_outcomes(passed=3)


def test_every_problem_is_named_and_no_value_is_printed(
    run_checks: RunChecks, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSGATE_T_EMPTY_KEY", "")
    monkeypatch.setenv("OPSGATE_T_RATE_LIMIT_PER_MINUTE", "5000")
    monkeypatch.setenv("OPSGATE_T_DATABASE_URL", f"mysql://app:{SECRET}@db/shop")
    (pytester.path / ".env").write_text(f"STRIPE_WEBHOOK_SECRET={SECRET}\nLEGACY=1\n")
    (pytester.path / ".env.example").write_text("STRIPE_WEBHOOK_SECRET=\nADMIN_API_KEY=\nOPENAI_API_KEY=\n")
    result = run_checks("""
        name: t
        config:
          - name: runtime
            env: [OPSGATE_T_NOT_SET, OPSGATE_T_EMPTY_KEY, OPSGATE_T_RATE_LIMIT_PER_MINUTE,
                  OPSGATE_T_DATABASE_URL]
            shapes:
              OPSGATE_T_RATE_LIMIT_PER_MINUTE: {type: integer, min: 1, max: 1000}
              OPSGATE_T_DATABASE_URL: {type: url, schemes: [postgres, postgresql]}
            runbook: "Set the variables in the platform's settings, then redeploy"
          - {name: dotenv, env_file: .env, example: .env.example}
    """)
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines_random([
        "*config runtime: 4 problem(s):",
        "*- OPSGATE_T_NOT_SET missing from the environment of the run: set it where the service gets its "
        "configuration (values are never printed)",
        "*- OPSGATE_T_EMPTY_KEY set but empty in the environment of the run: the service would start without "
        "it; fill in the value",
        "*- OPSGATE_T_RATE_LIMIT_PER_MINUTE in the environment of the run is outside 1..1000 (value not "
        "shown)",
        "*- OPSGATE_T_DATABASE_URL in the environment of the run is a mysql:// URL, expected postgres:// or "
        "postgresql:// (value not shown)",
        "*Runbook: Set the variables in the platform's settings, then redeploy",
        "*config dotenv: .env lacks 2 key(s) of .env.example: ADMIN_API_KEY, OPENAI_API_KEY; add them*",
    ])
    assert SECRET not in result.stdout.str() and "5000" not in result.stdout.str()
    files = [p for p in (pytester.path / "reports").rglob("*") if p.is_file()]
    reports = "".join(p.read_text(errors="replace") for p in files)
    assert SECRET not in reports and "LEGACY" in reports  # the extra key is listed, by name


def test_profile_mistakes_are_usage_errors(run_checks: RunChecks) -> None:
    result = run_checks("""
        name: t
        config:
          - {name: a, env: [OK], env_file: .env}
          - {name: b, env: ["not-a-name"]}
          - {name: c, file: settings.ini, keys: [x]}
          - {name: d, env: [X], shapes: {X: {type: url, min: 3}}}
    """)
    assert result.ret == 4
    result.stderr.fnmatch_lines_random([
        "*config[[]0]: give exactly one source: 'env' (names), 'env_file' or 'file' (got env, env_file)",
        "*config[[]1].env: expected environment variable names such as 'DATABASE_URL', got 'not-a-name'",
        "*config[[]2]: cannot tell the format of 'settings.ini' from its name: add format: json, yaml or "
        "toml",
        "*config[[]3].shapes.X: 'min' and 'max' apply to types 'integer' and 'number'",
    ])
