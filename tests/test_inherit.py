"""`extends:` merges a profile over another by target name; `--show-profile` prints the result."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from opsgate.demo import DemoProcess
from opsgate.profile import ProfileError, load_profile
from tests.conftest import RunChecks

SECRET = "ext3nds-s3cret-55"
PRODUCTION = """
    name: production
    secrets: [ADMIN_API_KEY]
    defaults: {timeout: 5s, retries: 1}
    http:
      - name: api
        url: "https://api.example/health?key=${ADMIN_API_KEY}"
        suites: [smoke]
        expect: {status: 200, response_time: {warn: 500ms, crit: 2s}}
      - {name: frontend, url: "https://example/"}
      - {name: admin, url: "https://admin.example/"}
    tls:
      - {name: api-cert, host: api.example}
"""
STAGING = """
    extends: production.yaml
    name: staging
    secrets: [STAGING_TOKEN]
    defaults: {timeout: 3s}
    http:
      - {name: api, url: "https://staging-api.example/health", expect: {response_time: {crit: 3s}}}
      - {name: admin, remove: true}
      - {name: extra, url: "https://extra.example/", suites: [daily]}
"""
ENVIRON = {"ADMIN_API_KEY": SECRET, "STAGING_TOKEN": "t0ken-t0ken"}


def _write(directory: Path, **files: str) -> None:
    for name, text in files.items():
        (directory / f"{name}.yaml").write_text(textwrap.dedent(text))


def test_staging_overrides_production_by_target_name(tmp_path: Path) -> None:
    _write(tmp_path, production=PRODUCTION, staging=STAGING)
    profile, redactor = load_profile(tmp_path / "staging.yaml", ENVIRON)
    assert profile.name == "staging"
    assert (profile.defaults.timeout, profile.defaults.retries) == (3.0, 1)
    assert [t.name for t in profile.http] == ["api", "frontend", "extra"]
    api = profile.http[0]
    assert api.url == "https://staging-api.example/health" and api.suites == ["smoke"]
    limit = api.expect.response_time
    assert (api.expect.status, limit.warn, limit.crit) == (200, 0.5, 3.0)
    assert [t.name for t in profile.tls] == ["api-cert"]
    assert profile.secrets == ["ADMIN_API_KEY", "STAGING_TOKEN"]
    assert redactor.redact(f"{SECRET} and t0ken-t0ken") == "*** and ***"


def test_a_base_may_extend_another(tmp_path: Path) -> None:
    _write(tmp_path, production=PRODUCTION, staging=STAGING,
           review="""
               extends: staging.yaml
               name: review
               http: [{name: frontend, remove: true}]
           """)
    profile, _ = load_profile(tmp_path / "review.yaml", ENVIRON)
    assert [t.name for t in profile.http] == ["api", "extra"]
    assert profile.http[0].url == "https://staging-api.example/health"


@pytest.mark.parametrize(("files", "message"), [
    ({"staging": "extends: production.yaml\nname: s\n"},
     "staging.yaml: extends: {dir}/production.yaml does not exist"),
    ({"a": "extends: b.yaml\nname: a\n", "b": "extends: a.yaml\nname: b\n"},
     "a.yaml: extends: {dir}/b.yaml extends it again (a cycle: b.yaml -> a.yaml -> b.yaml)"),
    ({"production": PRODUCTION,
      "staging": "extends: production.yaml\nname: s\nhttp: [{name: gone, remove: true}]\n"},
     "staging.yaml: http[0]: removes 'gone', which the extended profile does not have "
     "(it has: api, frontend, admin)"),
    ({"staging": "extends: [production.yaml]\nname: s\n"},
     "staging.yaml: extends: expected the path of a profile file such as production.yaml, "
     "got ['production.yaml']"),
])
def test_extends_errors_name_the_file_and_key(tmp_path: Path, files: dict[str, str], message: str) -> None:
    _write(tmp_path, **files)
    loaded = list(files)[-1]
    with pytest.raises(ProfileError) as raised:
        load_profile(tmp_path / f"{loaded}.yaml", ENVIRON)
    assert str(raised.value).endswith(message.format(dir=tmp_path.resolve())), str(raised.value)


def test_show_profile_prints_the_merged_profile_masked_and_runs_nothing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in ENVIRON.items():
        monkeypatch.setenv(name, value)
    _write(pytester.path, production=PRODUCTION, staging=STAGING)
    result = pytester.runpytest_subprocess(f"--profile={pytester.path / 'staging.yaml'}", "--show-profile",
                                           "-p", "no:cacheprovider")
    assert result.ret == 0
    result.stdout.fnmatch_lines([
        "secrets:", "- ADMIN_API_KEY", "- STAGING_TOKEN", "name: staging", "defaults:", "  timeout: 3.0",
        "http:", "- name: api", "  url: https://staging-api.example/health", "*crit: 3.0",
        "- name: frontend", "- name: extra",
    ])
    assert "admin.example" not in result.stdout.str() and "collected" not in result.stdout.str()
    shown = pytester.runpytest_subprocess(f"--profile={pytester.path / 'production.yaml'}", "--show-profile")
    assert SECRET not in shown.stdout.str() and "https://api.example/health?key=***" in shown.stdout.str()


def test_a_staging_profile_runs_what_it_inherits(
    run_checks: RunChecks, demo: DemoProcess, pytester: pytest.Pytester,
) -> None:
    _write(pytester.path, production=f"""
        name: production
        http:
          - {{name: api, url: "{demo.http_url}/status/500"}}
          - {{name: admin, url: "{demo.http_url}/status/503"}}
          - {{name: health, url: "{demo.http_url}/health"}}
    """)
    result = run_checks(f"""
        extends: production.yaml
        name: staging
        http:
          - {{name: api, url: "{demo.http_url}/status/200"}}
          - {{name: admin, remove: true}}
    """, "-v")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*test_http?api? PASSED*", "*test_http?health? PASSED*"])
    assert "admin" not in result.stdout.str()
