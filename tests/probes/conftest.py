"""Fixtures the probe tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.probes.test_host import SshServer


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    """A throwaway sshd on a free loopback port (RECIPES.md), for probes that run over ssh."""
    with SshServer(tmp_path_factory.mktemp("sshd")) as server:
        yield server
