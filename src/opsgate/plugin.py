"""The opsgate pytest plugin: every hook lives here.

Options and markers, profile loading, parametrization of `checks/` by the profile's targets,
starting probes concurrently once collection is done, redaction of reports, and the run summary.
Heavy modules (pydantic, drivers) are imported only when a profile is in use.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from opsgate.check import MARKER

if TYPE_CHECKING:
    from opsgate.profile import Profile
    from opsgate.redact import Redactor
    from opsgate.report import RunSummary
    from opsgate.runner import ProbeRunner
    from opsgate.verdict import Verdict

SUITE_MARKERS = {
    "smoke": "post-deploy smoke gate: fast checks that decide whether a deploy stays",
    "daily": "the daily morning check",
    "weekly": "weekly tasks (certificates, security headers, capacity)",
    "monthly": "monthly tasks",
    "premaintenance": "verification before a maintenance window",
    "intrusive": "sends traffic with side effects (test webhook events, load); opt in knowingly",
}
_NO_TARGETS = object()  # parameter of a check whose section the profile leaves empty


@dataclass
class State:
    """What one run knows, kept in `config.stash` rather than in globals."""

    profile: Profile | None = None
    profile_path: Path | None = None
    redactor: Redactor | None = None
    runner: ProbeRunner | None = None
    summary: RunSummary | None = None
    reports_dir: Path | None = None
    strict: bool = False
    cleanups: list[Callable[[], None]] = field(default_factory=list)
    running: pytest.Item | None = None
    frozen: bool = False


STATE = pytest.StashKey[State]()
CALL = pytest.StashKey["ProbeCall"]()
VERDICT = pytest.StashKey["Verdict"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("opsgate", "opsgate runbook checks")
    group.addoption("--profile", default=os.environ.get("OPSGATE_PROFILE"), metavar="NAME_OR_PATH",
                    help="environment profile: profiles/NAME.yaml or a path (env OPSGATE_PROFILE)")
    group.addoption("--reports-dir", default=None, metavar="DIR",
                    help="where junit.xml, allure-results/, summary.json and summary.md go "
                         "(default: reports/ under the rootdir)")
    group.addoption("--opsgate-strict", action="store_true", default=False,
                    help="treat warn thresholds as failures (a strict gate)")
    group.addoption("--opsgate-concurrency", type=_positive, default=None, metavar="N",
                    help="probes in flight at once (default: profile defaults.concurrency, 64)")
    group.addoption("--opsgate-per-host", type=_positive, default=None, metavar="N",
                    help="probes in flight per host (default: profile "
                         "defaults.per_host_concurrency, 32)")


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return number


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    for name, text in SUITE_MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    config.addinivalue_line("markers", f"{MARKER}(section, probe): an opsgate check (internal)")
    state = State(strict=config.getoption("opsgate_strict"))
    config.stash[STATE] = state
    if config.getoption("profile"):
        _load(config, state)


def _load(config: pytest.Config, state: State) -> None:
    from opsgate.profile import ProfileError, load_profile, resolve_profile_path
    from opsgate.report import RunSummary

    try:
        state.profile_path = resolve_profile_path(
            config.getoption("profile"), config.rootpath / "profiles")
        state.profile, state.redactor = load_profile(state.profile_path)
    except ProfileError as error:
        raise pytest.UsageError(f"opsgate profile error:\n{error}") from None
    reports = config.getoption("reports_dir")
    state.reports_dir = Path(reports) if reports else config.rootpath / "reports"
    state.reports_dir.mkdir(parents=True, exist_ok=True)
    state.summary = RunSummary(state.profile.name, state.profile_path, time.time())
    # Registered before pytest's own cleanups, so it runs after them: pytest's final
    # gc.collect() still skips the frozen objects (see _exempt_collected_objects_from_gc).
    config.add_cleanup(lambda: _thaw(state))
    if _controls_the_run(config):
        config.pluginmanager.register(_SummaryHooks(state.summary), "opsgate-summary")
    _wire_reports(config, state.reports_dir)
    if config.option.tbstyle == "auto":
        # The on-call engineer needs the finding, not our call stack.
        config.option.tbstyle = "short"
    if _controls_the_run(config) and not config.option.collectonly and state.profile.demo:
        _start_demo(config, state)


def _controls_the_run(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput")


def _wire_reports(config: pytest.Config, reports_dir: Path) -> None:
    if not getattr(config.option, "xmlpath", None):
        config.option.xmlpath = str(reports_dir / "junit.xml")
    if not config.pluginmanager.hasplugin("allure_pytest"):
        return
    # opsgate registers allure-pytest's listener itself (see allure_results), so allure-pytest
    # must not; the directory travels to xdist workers in an option of our own.
    chosen = config.option.allure_report_dir or getattr(config.option, "opsgate_allure_dir", None)
    config.option.allure_report_dir = None
    config.option.opsgate_allure_dir = chosen or str(reports_dir / "allure-results")
    if config.option.collectonly:
        return
    from opsgate.allure_results import wire_allure

    # Only the controller cleans: xdist workers share the directory.
    flush = wire_allure(config, Path(config.option.opsgate_allure_dir), _controls_the_run(config))
    config.stash[STATE].cleanups.append(flush)


def _start_demo(config: pytest.Config, state: State) -> None:
    from opsgate.demo import DemoError, DemoProcess

    demo = state.profile.demo if state.profile else None
    assert demo is not None
    process = DemoProcess(port=demo.port, https_port=demo.https_port,
                          ca_bundle=Path(demo.ca_bundle), broken=demo.broken, mode=demo.mode)
    try:
        process.start()
    except DemoError as error:
        raise pytest.UsageError(f"opsgate: {error}") from None
    config.add_cleanup(process.stop)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker(MARKER)
    if marker is None:
        return
    state = metafunc.config.stash[STATE]
    targets = _targets_for(state, marker.kwargs)
    if not targets:
        metafunc.parametrize("target", [_NO_TARGETS], ids=["no-targets"])
        return
    from opsgate.evidence import allure_marks

    check = metafunc.function.__name__.removeprefix("test_")
    metafunc.parametrize("target", [
        pytest.param(target, id=target.name,
                     marks=_marks_for(target, marker.kwargs) + allure_marks(target, check))
        for target in targets
    ])


def _targets_for(state: State, spec: dict[str, Any]) -> list[Any]:
    if state.profile is None:
        return []
    applies = spec.get("applies")
    return [t for t in state.profile.targets(spec["section"]) if applies is None or applies(t)]


def _marks_for(target: Any, spec: dict[str, Any]) -> list[pytest.MarkDecorator]:
    # A check may have defaults of its own (security headers run weekly); `suites:` still wins.
    own_default = target.suites is None and spec["suites"]
    suites = spec["suites"] if own_default else target.effective_suites
    marks = [getattr(pytest.mark, suite) for suite in suites]
    if spec["intrusive"] or target.intrusive:
        marks.append(pytest.mark.intrusive)
    return marks


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    state = config.stash[STATE]
    checks = [item for item in items if item.get_closest_marker(MARKER)]
    if checks and state.profile is None:
        raise pytest.UsageError(
            "opsgate checks need a profile: pass --profile NAME (a file in profiles/) or "
            "--profile=path/to/profile.yaml, or set OPSGATE_PROFILE; try `pytest --profile local`"
        )
    # A kind the profile does not use yields no items at all, not a wall of skips.
    items[:] = [item for item in items if _param(item) is not _NO_TARGETS]
    if state.profile is None:
        return
    from opsgate.runner import ProbeCall

    for item in items:
        marker = item.get_closest_marker(MARKER)
        if marker is not None:
            target = _param(item)
            item.stash[CALL] = ProbeCall(
                probe=marker.kwargs["probe"], target=target,
                timeout=state.profile.timeout_of(target), retries=state.profile.retries_of(target),
            )


def _param(item: pytest.Item) -> Any:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("target") if callspec else None


def pytest_collection_finish(session: pytest.Session) -> None:
    config = session.config
    state = config.stash[STATE]
    if state.profile is None:
        return
    _exempt_collected_objects_from_gc(state)
    if config.option.collectonly:
        return
    from opsgate.runner import ProbeRunner

    defaults = state.profile.defaults
    state.runner = ProbeRunner(
        concurrency=_given(config.getoption("opsgate_concurrency"), defaults.concurrency),
        per_host=_given(config.getoption("opsgate_per_host"), defaults.per_host_concurrency),
    )
    if _controls_the_run(config):
        # Under xdist each worker collects everything but runs a share: probe lazily there.
        state.runner.start([item.stash[CALL] for item in session.items if CALL in item.stash])


def _thaw(state: State) -> None:
    """Give frozen objects back to the GC, for a process that goes on after this session."""
    if state.frozen:
        import gc

        gc.unfreeze()
        state.frozen = False


def _exempt_collected_objects_from_gc(state: State) -> None:
    """Everything collection built (items, fixtures, the profile, imported modules) lives until
    the session ends, yet every full collection of the cyclic GC would walk it again: about
    0.6 ms per check of a 1,000-check run, and 70 ms of a `--collect-only`. Freezing moves it
    out of the collector's reach."""
    import gc

    gc.freeze()
    state.frozen = True


def pytest_runtest_setup(item: pytest.Item) -> None:
    if CALL not in item.stash:
        return
    from opsgate.evidence import allure_attach
    from opsgate.verdict import Verdict

    state = item.config.stash[STATE]
    state.running = item
    item.stash[VERDICT] = Verdict(
        target=item.stash[CALL].target, check=item.name.split("[")[0].removeprefix("test_"),
        redactor=state.redactor, strict=state.strict, attach=allure_attach,
        publish=lambda name, value: item.user_properties.append((name, value)),
    )


def _given(option: int | None, default: int) -> int:
    return default if option is None else option


@pytest.fixture(scope="session")
def observe(request: pytest.FixtureRequest) -> Callable[[], Any]:
    """`observe()` gives the probe's facts for the target of the check now running, or fails.

    Session-scoped (the check running is known from the state), so it costs nothing per test.
    """
    state = request.config.stash[STATE]

    def observe_target() -> Any:
        __tracebackhide__ = True
        item = state.running
        assert item is not None and state.runner is not None and state.redactor is not None
        call = item.stash[CALL]
        outcome = state.runner.outcome(call)
        item.user_properties.append(("opsgate_probe_seconds", round(outcome.duration, 4)))
        if outcome.notes:  # earlier attempts failed: a flapping target is worth knowing about
            item.user_properties.append(("opsgate_retries", state.redactor.redact("; ".join(outcome.notes))))
        if outcome.error is not None:
            raise _redacted(outcome.error, state.redactor, call.target)
        return outcome.value

    return observe_target


def _redacted(error: BaseException, redactor: Redactor, target: Any) -> BaseException:
    message = redactor.redact(str(error))
    if target.runbook:
        message += f"\nRunbook: {target.runbook}"
    try:
        return type(error)(message)
    except TypeError:
        return RuntimeError(f"{type(error).__name__}: {message}")


class _RunningVerdict:
    """Stands for the Verdict of the check now running: one session-scoped object instead of a
    fixture per test (allure-pytest and pytest pay for every function-scoped fixture)."""

    def __init__(self, state: State) -> None:
        self._state = state

    def __getattr__(self, name: str) -> Any:
        running = self._state.running
        assert running is not None, "verdict used outside a running check"
        return getattr(running.stash[VERDICT], name)

    def __repr__(self) -> str:
        return repr(self._state.running.stash[VERDICT]) if self._state.running else "<no verdict>"


@pytest.fixture(scope="session")
def verdict(request: pytest.FixtureRequest) -> Verdict:
    """The findings of the running check; the check calls `verdict.conclude()` last."""
    return _RunningVerdict(request.config.stash[STATE])  # type: ignore[return-value]


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Generator[None, object, object]:
    result = yield
    found = pyfuncitem.stash.get(VERDICT, None)
    if found is not None and not found.concluded:
        raise RuntimeError(f"{pyfuncitem.nodeid} never called verdict.conclude(): it cannot fail")
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None],
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    state = item.config.stash[STATE]
    if CALL not in item.stash or state.redactor is None:
        return report
    from opsgate.report import classify, redact_report

    redact_report(report, state.redactor)
    outcome = classify(report, call)
    if outcome is not None:
        report.user_properties.append(("opsgate_outcome", outcome))
    return report


class _SummaryHooks:
    """Feeds every test report (the controller's, under xdist) into the run summary."""

    def __init__(self, summary: RunSummary) -> None:
        self.summary = summary

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.summary.add(report)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = session.config.stash[STATE]
    for cleanup in state.cleanups:
        cleanup()
    state.cleanups.clear()
    if state.summary is None or state.reports_dir is None or not _controls_the_run(session.config):
        return
    if session.config.option.collectonly:
        return
    state.summary.write(state.reports_dir, int(exitstatus), session.config.option.markexpr)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    state = config.stash[STATE]
    if state.summary is not None and state.summary.checks and _controls_the_run(config):
        state.summary.print_table(terminalreporter, state.reports_dir)
