"""Shared fixtures of the project's own tests (they need no profile)."""

from __future__ import annotations

import os
import re
import socket
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest
import redis

from opsgate.demo import DemoProcess

if TYPE_CHECKING:
    from tests.servers import RedisServer

pytest_plugins = ["pytester", "tests.servers_s3"]
REPO = Path(__file__).resolve().parent.parent

RunChecks = Callable[..., pytest.RunResult]


def files_of_doc(page: str) -> dict[str, str]:
    """The files a docs page shows, each a code block after `<!-- file: PATH -->`: tests run them
    as written, so the page cannot drift from what works."""
    text = (REPO / "docs" / page).read_text()
    found = re.findall(r"<!-- file: (\S+) -->\n```\w*\n(.*?)```", text, flags=re.S)
    assert found, f"docs/{page} shows no files"
    return dict(found)


def on_ci() -> bool:
    """On CI every throwaway server and OS feature the tests use must be there."""
    return os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> NoReturn:
    """Give up on a test whose throwaway server or OS feature is missing: a skip with the reason on
    a developer's machine, a failure on CI, where a broken check must not pass as a skip."""
    if on_ci():
        pytest.fail(f"{reason} (CI=true: a test that cannot set up what it needs fails)", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def run_checks(pytester: pytest.Pytester) -> RunChecks:
    """Run the repo's `checks/` in a subprocess against a profile given as YAML text.

    `run_checks(yaml_text, "-m", "smoke")` -> RunResult; reports land in `pytester.path/reports`.
    """
    pytester._monkeypatch.delenv("OPSGATE_PROFILE", raising=False)
    # As in the checkout: the checks are the default test path (with a profile, the plugin
    # collects the installed checks, which are the same files).
    (pytester.path / "pytest.ini").write_text(f"[pytest]\ntestpaths = {REPO / 'checks'}\n")

    def run(profile: str | None, *args: str, at: str = "profile.yaml") -> pytest.RunResult:
        """`profile=None` runs without one; `at` is where the profile is written."""
        chosen: list[str] = []
        if profile is not None:
            path = pytester.path / at
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(profile))
            chosen = [f"--profile={path}"]
        return pytester.runpytest_subprocess(*chosen, "-p", "no:cacheprovider", *args)

    return run


@pytest.fixture(scope="session")
def demo() -> Iterator[DemoProcess]:
    """The bundled demo target on free ports, healthy."""
    with DemoProcess(port=0, https_port=0) as process:
        yield process


@pytest.fixture(scope="session")
def broken_demo() -> Iterator[DemoProcess]:
    """The bundled demo target on free ports, misbehaving on purpose."""
    with DemoProcess(port=0, https_port=0, broken=True) as process:
        yield process


@pytest.fixture(scope="module")
def full_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A throwaway redis-server with a 4 MB maxmemory, filled until it refuses writes."""
    from tests.servers import RedisServer  # it imports this module's free_port

    with RedisServer(
        tmp_path_factory.mktemp("full"), "--maxmemory", "4mb", "--maxmemory-policy", "noeviction"
    ) as server:
        client, value = server.client(), b"x" * 2000
        for i in range(100_000):
            try:
                client.set(f"k{i}", value)
            except redis.ResponseError:
                break
        else:
            raise AssertionError("the server never reached maxmemory")
        yield server
