"""The test suite's own rule: on CI a test that cannot start its throwaway server fails."""

from __future__ import annotations

import pytest

from tests.conftest import unavailable


def test_a_missing_server_fails_on_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"dnsmasq did not answer \(CI=true: "):
        unavailable("dnsmasq did not answer")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="^dnsmasq did not answer$"):
        unavailable("dnsmasq did not answer")
