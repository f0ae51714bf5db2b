"""Allure results of a check run, kept in memory and written in one go when the run ends.

allure-pytest writes every result, every fixture container and every attachment as its own
file the moment it is produced: about five small files per check, on the critical path of the
run. opsgate wires allure-pytest's own listener itself, with a logger that holds the results
until the session ends and then writes them in one pass. opsgate's plumbing fixtures
(`target`, `observe`, `verdict`) get no containers: they only clutter the report. The listener
skips them where it can, and the logger drops any container that holds nothing else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import allure_commons
import pytest
from allure_commons import hookimpl
from allure_commons.logger import AllureFileLogger
from allure_commons.model2 import Parameter, TestResult, TestResultContainer
from attr import asdict

PLUMBING_FIXTURES = frozenset({"target", "observe", "verdict"})


PROBE_LABEL = "opsgate_probe_ms"  # carries the probe's time from the test to the logger, then dropped
_TARGET_REPR = re.compile(r"^<(\w+) target '(.*)'>$")
# Allure categories: why a check failed, as an on-call engineer sorts failures. The patterns are
# searched in the whole message, in Java (Allure 2) and JavaScript (Allure 3) alike.
_ANY = "[\\s\\S]*"
CATEGORIES = [
    {"name": "Target down or unreachable", "matchedStatuses": ["failed", "broken"],
     "messageRegex": f"{_ANY}(connection refused|no complete response|timed out|unreachable|could not "
                     f"connect|SERVFAIL|NXDOMAIN|no answer|handshake failed|not running){_ANY}"},
    {"name": "Profile or credentials wrong", "matchedStatuses": ["failed", "broken"],
     "messageRegex": f"{_ANY}(does not exist|authentication|password|permission denied|access denied|"
                     f"401|403|ca_bundle|is not set|certificate verify failed){_ANY}"},
    {"name": "Threshold breached", "matchedStatuses": ["failed"],
     "messageRegex": f"{_ANY}(above the limit|below the minimum|expected|grade|SECURITY){_ANY}"},
    {"name": "opsgate error", "matchedStatuses": ["broken"]},
]


class BufferedAllureLogger(AllureFileLogger):
    """An AllureFileLogger that writes nothing until `flush()`."""

    def __init__(self, report_dir: Path, clean: bool, environment: dict[str, str] | None = None) -> None:
        super().__init__(report_dir, clean)
        self._pending: list[tuple[str, Any]] = []
        if environment is not None:  # the controller's: one copy, not one per xdist worker
            self._pending += _run_files(environment)

    def _report_item(self, item: Any) -> None:
        if isinstance(item, TestResultContainer) and _only_plumbing(item):
            return
        if isinstance(item, TestResult):
            _readable(item)
        # Results and containers carry a uuid of their own: no second one for the file name.
        self._pending.append((item.file_pattern.format(prefix=item.uuid), item))

    @hookimpl
    def report_result(self, result: Any) -> None:
        self._report_item(result)

    @hookimpl
    def report_container(self, container: Any) -> None:
        self._report_item(container)

    @hookimpl
    def report_attached_data(self, body: str | bytes, file_name: str) -> None:
        self._pending.append((file_name, body))

    def flush(self) -> None:
        """Write every held file. Plain writes, no temp-and-rename: nobody reads the directory
        while the run is still going, and each file has a name of its own (a uuid).

        One thread, on purpose: creating files in one directory serialises on its lock in the
        kernel, and parallel writers only spin on it (measured: more CPU, no less wall)."""
        pending, self._pending = self._pending, []
        for name, content in pending:
            (self._report_dir / name).write_bytes(_encoded(content))


def _readable(result: TestResult) -> None:
    """The target's name as parameter (not `<http target 'api'>`), and a duration that includes
    the probe's time (it ran before the test, concurrently with others)."""
    for parameter in result.parameters:
        match = _TARGET_REPR.match(parameter.value or "")
        if match:
            result.parameters.append(Parameter(name="kind", value=match.group(1)))
            parameter.value = match.group(2)
            break
    probe = next((label for label in result.labels if label.name == PROBE_LABEL), None)
    if probe is not None:
        result.labels.remove(probe)
        if result.start is not None and result.stop is not None:
            result.start = min(result.start, result.stop - int(probe.value))


def _run_files(environment: dict[str, str]) -> list[tuple[str, Any]]:
    """environment.properties and executor.json (the run's profile and host, on the report's
    overview) and categories.json."""
    properties = "".join(f"{key}={_escaped(value)}\n" for key, value in environment.items())
    executor = {"name": "opsgate", "type": "opsgate",
                "buildName": f"{environment.get('profile', '')} {environment.get('suite', '')}".strip()}
    return [("environment.properties", properties), ("executor.json", json.dumps(executor)),
            ("categories.json", json.dumps(CATEGORIES, indent=1))]


def _escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", " ").replace("=", "\\=").replace(":", "\\:")


def _encoded(content: Any) -> bytes:
    if isinstance(content, bytes):
        return content
    if isinstance(content, str):
        return content.encode("utf-8")
    fields = asdict(content, filter=lambda _, v: v or v is False)
    return json.dumps(fields, ensure_ascii=False).encode("utf-8")


def _only_plumbing(container: TestResultContainer) -> bool:
    fixtures = [*container.befores, *container.afters]
    # afters are named "<fixture>::<finalizer>"
    return bool(fixtures) and all(f.name.split("::")[0] in PLUMBING_FIXTURES for f in fixtures)


def _uses_only_plumbing(fixture_names: list[str]) -> bool:
    return all(name in PLUMBING_FIXTURES or name == "request" for name in fixture_names)


def _check_listener(config: pytest.Config) -> Any:
    """allure-pytest's listener without the bookkeeping of plumbing fixtures: it would open a
    container per fixture and search every test's fixture definitions twice, all for
    containers the logger drops (a third of the listener's cost per check)."""
    from allure_pytest.listener import AllureListener

    class CheckListener(AllureListener):  # type: ignore[misc]
        @pytest.hookimpl(hookwrapper=True)
        def pytest_fixture_setup(self, fixturedef: Any, request: Any) -> Generator[None, Any, None]:
            if fixturedef.argname in PLUMBING_FIXTURES:
                yield
            else:
                yield from super().pytest_fixture_setup(fixturedef, request)

        @pytest.hookimpl(hookwrapper=True)
        def pytest_fixture_post_finalizer(self, fixturedef: Any) -> Generator[None, Any, None]:
            if fixturedef.argname in PLUMBING_FIXTURES:
                yield
            else:
                yield from super().pytest_fixture_post_finalizer(fixturedef)

        def _update_fixtures_children(self, item: pytest.Item) -> None:
            if not _uses_only_plumbing(getattr(item, "fixturenames", [])):
                super()._update_fixtures_children(item)

    return CheckListener(config)


def wire_allure(config: pytest.Config, report_dir: Path, clean: bool,
                environment: dict[str, str] | None = None) -> Callable[[], None]:
    """Register allure-pytest's listener with the buffered logger; returns the flush.
    `environment` (the controller's) goes to environment.properties and executor.json."""
    listener = _check_listener(config)
    config.pluginmanager.register(listener, "allure_listener")
    allure_commons.plugin_manager.register(listener)
    logger = BufferedAllureLogger(report_dir, clean, environment)
    allure_commons.plugin_manager.register(logger)

    def finish() -> None:
        try:
            logger.flush()
        finally:
            allure_commons.plugin_manager.unregister(logger)
            allure_commons.plugin_manager.unregister(listener)

    return finish
