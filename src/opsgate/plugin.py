"""The opsgate pytest plugin: every hook lives here.

Options and markers, profile loading, parametrization of `checks/` by the profile's targets,
starting probes concurrently once collection is done, redaction of reports, and the run summary.
Heavy modules (pydantic, drivers) are imported only when a profile is in use.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import time
import traceback
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from opsgate.check import MARKER
from opsgate.suites import INTRUSIVE, SUITES

if TYPE_CHECKING:
    from opsgate.profile import Profile
    from opsgate.progress import Progress
    from opsgate.redact import Redactor
    from opsgate.report import RunSummary
    from opsgate.runner import ProbeCall, ProbeRunner
    from opsgate.verdict import Verdict



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
    problems: list[str] = field(default_factory=list)
    previously_failed: bool | None = None
    baseline: dict[str, Any] | None = None
    junit: Path | None = None  # where junit.xml goes once pytest has written it
    sections_seen: set[str] = field(default_factory=set)  # by the collected check functions


STATE = pytest.StashKey[State]()
CALL = pytest.StashKey["ProbeCall"]()
VERDICT = pytest.StashKey["Verdict"]()
EVIDENCE = pytest.StashKey[list[dict[str, str]]]()
OUTCOME = pytest.StashKey["str | None"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("opsgate", "opsgate runbook checks")
    group.addoption("--profile", default=os.environ.get("OPSGATE_PROFILE"), metavar="NAME_OR_PATH",
                    help="environment profile: profiles/NAME.yaml or a path (env OPSGATE_PROFILE)")
    group.addoption("--reports-dir", default=None, metavar="DIR",
                    help="where junit.xml, allure-results/, summary.json and summary.md go "
                         "(default: reports/ in the ops repository: the profile's directory, or "
                         "the parent of its profiles/ directory)")
    group.addoption("--opsgate-strict", action="store_true", default=False,
                    help="treat warn thresholds as failures (a strict gate)")
    group.addoption("--opsgate-concurrency", type=_positive, default=None, metavar="N",
                    help="probes in flight at once (default: profile defaults.concurrency, 64)")
    group.addoption("--opsgate-per-host", type=_positive, default=None, metavar="N",
                    help="probes in flight per host (default: profile "
                         "defaults.per_host_concurrency, 32)")
    _add_output_options(group)
    group.addoption("--opsgate-progress", type=float, default=10.0, metavar="SECONDS",
                    help="print 'checks done / total, failing' at most every SECONDS "
                         "(default 10; 0 after every check)")
    group.addoption("--shard", type=_shard, default=None, metavar="I/N",
                    help="run only the I-th of N parts of the selected checks (a deterministic "
                         "split by check id, for CI matrix jobs; `opsgate merge` joins the reports)")


def _add_output_options(group: pytest.OptionGroup) -> None:
    group.addoption("--metrics-textfile", default=None, metavar="PATH",
                    help="write the results as Prometheus metrics to PATH (atomically), for "
                         "node_exporter's textfile collector")
    group.addoption("--pushgateway", default=None, metavar="URL",
                    help="push the results as Prometheus metrics to this Pushgateway "
                         "(grouped by profile and suite)")
    group.addoption("--exit-mode", choices=("pytest", "nagios"), default="pytest",
                    help="nagios: exit 0 OK / 1 WARNING / 2 CRITICAL / 3 UNKNOWN with one line of "
                         "plugin output and perfdata, for Nagios, Icinga and Sensu")
    group.addoption("--history", default=None, metavar="PATH",
                    help="the sqlite file each run appends to, for newly failing, recovered and "
                         "flapping checks (default: history.sqlite in the reports dir; 'off' for none)")
    group.addoption("--baseline", default=None, metavar="SUMMARY_JSON",
                    help="compare with an earlier run's summary.json and list every check that "
                         "got worse (before/after a deploy or a maintenance window)")
    group.addoption("--show-profile", action="store_true", default=False,
                    help="print the profile as opsgate reads it (extends merged, variables "
                         "filled in, secrets masked) and exit")
    group.addoption("--notify", action="append", default=[], metavar="[slack:|alertmanager:]URL",
                    help="post failed checks to URL (repeatable): a generic JSON webhook, "
                         "slack:URL for Slack-compatible chat, alertmanager:URL for Alertmanager")
    group.addoption("--notify-recovery", action="store_true", default=False,
                    help="--notify also posts when a run passes after a failing one")


def _check_output_options(config: pytest.Config) -> None:
    textfile = config.getoption("metrics_textfile")
    if textfile and not Path(textfile).resolve().parent.is_dir():
        raise pytest.UsageError(f"--metrics-textfile {textfile}: the directory "
                                f"{Path(textfile).resolve().parent} does not exist")
    if config.getoption("baseline"):
        from opsgate.baseline import BaselineError, load

        try:
            config.stash[STATE].baseline = load(Path(config.getoption("baseline")))
        except BaselineError as error:
            raise pytest.UsageError(str(error)) from None
    url = config.getoption("pushgateway")
    if url and not url.startswith(("http://", "https://")):
        raise pytest.UsageError(f"--pushgateway {url}: expected an http:// or https:// URL, "
                                "e.g. --pushgateway=http://pushgateway:9091")
    from opsgate.notify import parse_cli

    for text in config.getoption("notify"):
        try:
            parse_cli(text, config.getoption("notify_recovery"))
        except ValueError:
            raise pytest.UsageError(
                "--notify: expected an http:// or https:// URL, optionally after slack: or "
                "alertmanager:, e.g. --notify=slack:https://hooks.slack.com/services/...") from None


def _shard(text: str) -> tuple[int, int]:
    index, _, count = text.partition("/")
    try:
        shard = int(index), int(count)
    except ValueError:
        shard = (0, 0)
    if not 1 <= shard[0] <= shard[1]:
        raise argparse.ArgumentTypeError(f"expected I/N with 1 <= I <= N, such as 2/4, got {text!r}")
    return shard


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return number


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    if not config.getoption("show_profile"):
        return None
    from opsgate.inherit import show
    from opsgate.profile import ProfileError, resolve_profile_path

    if not config.getoption("profile"):
        raise pytest.UsageError("--show-profile needs a profile: --profile=NAME_OR_PATH")
    try:
        path = resolve_profile_path(config.getoption("profile"), config.rootpath / "profiles")
        print(show(path), end="")
    except ProfileError as error:
        raise pytest.UsageError(f"opsgate profile error:\n{error}") from None
    return 0


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    for name, text in {**SUITES, "intrusive": INTRUSIVE}.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    config.addinivalue_line("markers", f"{MARKER}(section, probe): an opsgate check (internal)")
    state = State(strict=config.getoption("opsgate_strict"))
    config.stash[STATE] = state
    if _nagios(config):
        # Nagios reads the first line of stdout: nothing but the plugin output may come before it.
        config.pluginmanager.set_blocked("terminalreporter")
    from opsgate.interrupt import die_with_parent, sigterm_as_keyboard_interrupt

    config.add_cleanup(sigterm_as_keyboard_interrupt())
    if not _controls_the_run(config):
        die_with_parent()
    else:  # xdist's session plugin registers after this hook: look it up when needed
        config.pluginmanager.register(_WorkerTeardown(config), "opsgate-worker-teardown")
    if config.getoption("profile"):
        try:
            _refuse_spaced_profile_path(config)
            _load(config, state)
            _collect_the_checks(config, state)
        except pytest.UsageError as error:
            if not _nagios(config):
                raise
            from opsgate.nagios import UNKNOWN, unknown

            print(unknown(str(error)))
            pytest.exit("opsgate could not judge: see the line above", returncode=UNKNOWN)


def _nagios(config: pytest.Config) -> bool:
    return bool(config.getoption("exit_mode") == "nagios")


def _refuse_spaced_profile_path(config: pytest.Config) -> None:
    from opsgate.layout import spaced_profile_path

    path = spaced_profile_path(config.invocation_params.args)
    if path is not None:
        raise pytest.UsageError(
            f"opsgate: write --profile={path} (with '='). With a space, pytest takes {path} for "
            "a test path before opsgate is loaded, and would pick its rootdir and the tests to "
            "run from it; nothing was run."
        )


def _collect_the_checks(config: pytest.Config, state: State) -> None:
    """Unless paths are given, a run collects the built-in checks and the team's own `checks/`
    beside the profile, from whatever directory it starts: never the tests of the directory."""
    from opsgate.layout import check_dirs

    if config.args_source is not pytest.Config.ArgsSource.ARGS and state.profile_path is not None:
        config.args[:] = [str(directory) for directory in check_dirs(state.profile_path)]


def _load(config: pytest.Config, state: State) -> None:
    from opsgate.layout import default_reports_dir
    from opsgate.profile import ProfileError, load_profile, resolve_profile_path
    from opsgate.report import RunSummary

    try:
        state.profile_path = resolve_profile_path(
            config.getoption("profile"), config.rootpath / "profiles")
        state.profile, state.redactor = load_profile(state.profile_path)
    except ProfileError as error:
        raise pytest.UsageError(f"opsgate profile error:\n{error}") from None
    _check_output_options(config)
    reports = config.getoption("reports_dir")
    state.reports_dir = Path(reports) if reports else default_reports_dir(state.profile_path)
    state.reports_dir.mkdir(parents=True, exist_ok=True)
    _remember_last_run(config, state)
    if _controls_the_run(config) and not config.option.collectonly:
        # A report left from the last run must not read as this one's (a --collect-only run
        # writes no summary, so it leaves the last one alone).
        for name in ("summary.json", "summary.md", "summary.html"):
            (state.reports_dir / name).unlink(missing_ok=True)
    for suite, text in state.profile.suites.items():
        config.addinivalue_line("markers", f"{suite}: {text} (profile {state.profile.name})")
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


def _remember_last_run(config: pytest.Config, state: State) -> None:
    """Read the last run's verdict before this run overwrites its summary.json (for recovery)."""
    from opsgate.notify import previously_failed

    assert state.profile is not None and state.reports_dir is not None
    state.previously_failed = previously_failed(
        state.reports_dir / "summary.json", state.profile.name, config.option.markexpr)


def _controls_the_run(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput")


def _wire_reports(config: pytest.Config, reports_dir: Path) -> None:
    from opsgate.interrupt import pending_name

    if _controls_the_run(config):
        # junit.xml is written under a temporary name and renamed at the end (see
        # pytest_sessionfinish); the last run's is removed now.
        junit = Path(getattr(config.option, "xmlpath", None) or reports_dir / "junit.xml")
        junit.unlink(missing_ok=True)
        config.option.xmlpath = str(pending_name(junit))
        config.stash[STATE].junit = junit
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

    # Only the controller cleans and describes the run: xdist workers share the directory.
    controls = _controls_the_run(config)
    flush = wire_allure(config, Path(config.option.opsgate_allure_dir), controls,
                        _allure_environment(config) if controls else None)
    config.stash[STATE].cleanups.append(flush)


def _allure_environment(config: pytest.Config) -> dict[str, str]:
    import platform

    from opsgate import __version__

    state = config.stash[STATE]
    assert state.profile is not None
    return {"profile": state.profile.name, "description": state.profile.description or "",
            "profile_file": str(state.profile_path), "suite": config.option.markexpr or "all",
            "host": platform.node(), "opsgate": __version__, "python": platform.python_version()}


def _start_demo(config: pytest.Config, state: State) -> None:
    from opsgate.demo import DemoError, DemoProcess
    from opsgate.layout import default_reports_dir

    demo = state.profile.demo if state.profile else None
    assert demo is not None
    # Its backup goes where the profile's paths point by default: the ops repository's reports/.
    backups = os.environ.get("OPSGATE_DEMO_BACKUP_DIR") or str(
        default_reports_dir(state.profile_path) / "demo-backups")
    process = DemoProcess(port=demo.port, https_port=demo.https_port,
                          ca_bundle=Path(demo.ca_bundle), broken=demo.broken, mode=demo.mode,
                          env={"OPSGATE_DEMO_BACKUP_DIR": backups})
    try:
        process.start()
    except DemoError as error:
        raise pytest.UsageError(f"opsgate: {error}") from None
    config.add_cleanup(process.stop)


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> list[Any] | None:
    """A check kind the profile does not use yields no items at all: not a wall of skips, and
    `collected N items` counts only what can run."""
    state = collector.config.stash[STATE]
    marker = next((m for m in getattr(obj, "pytestmark", ()) if m.name == MARKER), None)
    if marker is not None:
        state.sections_seen.add(marker.kwargs["section"])
    if marker is not None and state.profile is not None and not _targets_for(state, marker.kwargs):
        return []
    return None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker(MARKER)
    state = metafunc.config.stash[STATE]
    if marker is None or state.profile is None:  # without a profile collection stops with advice
        return
    from opsgate.evidence import allure_marks

    check = metafunc.function.__name__.removeprefix("test_")
    metafunc.parametrize("target", [
        pytest.param(target, id=target.name,
                     marks=_marks_for(target, marker.kwargs) + allure_marks(target, check))
        for target in _targets_for(state, marker.kwargs)
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


@pytest.hookimpl(trylast=True)  # after `-m`/`-k` deselection: only what runs needs a probe
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    state = config.stash[STATE]
    checks = [item for item in items if item.get_closest_marker(MARKER)]
    if checks and state.profile is None:
        raise pytest.UsageError(
            "opsgate checks need a profile: pass --profile NAME (a file in profiles/) or "
            "--profile=path/to/profile.yaml, or set OPSGATE_PROFILE; try `pytest --profile local`"
        )
    if state.profile is None:
        return
    shard = config.getoption("shard")
    if shard is not None:
        _keep_shard(config, items, *shard)
    _require_a_check_for_every_custom_section(config, state)
    _note_an_empty_suite(config, state, items)
    _require_the_variables_of_selected_targets(state, items)
    from opsgate.runner import ProbeCall

    for item in items:
        marker = item.get_closest_marker(MARKER)
        if marker is not None:
            target = _param(item)
            item.stash[CALL] = ProbeCall(
                probe=marker.kwargs["probe"], target=target,
                timeout=state.profile.timeout_of(target), retries=state.profile.retries_of(target),
            )


def _keep_shard(config: pytest.Config, items: list[pytest.Item], index: int, count: int) -> None:
    """Deal the checks, sorted by id, round-robin into `count` parts and keep part `index`: every
    check lands in exactly one part, and the parts differ in size by one at most."""
    order = {item.nodeid: position for position, item in enumerate(sorted(items, key=lambda i: i.nodeid))}
    kept = [item for item in items if order[item.nodeid] % count == index - 1]
    dropped = [item for item in items if order[item.nodeid] % count != index - 1]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
def _require_a_check_for_every_custom_section(config: pytest.Config, state: State) -> None:
    """A custom section no check reads would silently check nothing (unless paths were given)."""
    assert state.profile is not None and state.profile_path is not None
    if config.args_source is pytest.Config.ArgsSource.ARGS:
        return
    from opsgate.layout import ops_root

    unread = sorted(set(state.profile.custom) - state.sections_seen)
    if unread:
        where = ops_root(state.profile_path) / "checks"
        raise pytest.UsageError("opsgate profile error:\n" + "\n".join(
            f"{state.profile_path}: custom.{section}: no check reads this section (write "
            f"@check({section!r}, probe=...) in {where}/test_{section}.py)" for section in unread))


def _note_an_empty_suite(config: pytest.Config, state: State, items: list[pytest.Item]) -> None:
    markexpr = config.option.markexpr
    if not items and markexpr and state.summary is not None and state.profile is not None:
        state.summary.notes.append(f"profile {state.profile.name} has no checks in suite {markexpr}")


def _require_the_variables_of_selected_targets(state: State, items: list[pytest.Item]) -> None:
    """Only what runs needs its variables: a selected placeholder stops the run, a deselected
    one is a note."""
    assert state.profile is not None and state.summary is not None
    selected = {id(_param(item)) for item in items}
    needed, spared = [], []
    for unresolved, target in state.profile.unresolved_targets():
        (needed if id(target) in selected else spared).append(unresolved)
    if needed:
        raise pytest.UsageError("opsgate profile error:\n" + "\n".join(
            f"{state.profile_path}: {u.describe()}, and a selected check needs it (export it, or "
            "write ${NAME:-default})" for u in needed))
    state.summary.notes += [f"{u.describe()}: not needed, its checks are not selected" for u in spared]


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
    item.stash[EVIDENCE] = []
    item.user_properties.append(("opsgate_vantage", vantage()))
    item.stash[VERDICT] = Verdict(
        target=item.stash[CALL].target, check=item.name.split("[")[0].removeprefix("test_"),
        redactor=state.redactor, strict=state.strict, attach=_keeping(item, allure_attach),
        publish=lambda name, value: item.user_properties.append((name, value)),
    )


def _keeping(item: pytest.Item, attach: Callable[[str, str, str], None]) -> Callable[[str, str, str], None]:
    """Attach evidence to allure and keep it for the HTML summary (already redacted)."""
    def both(name: str, text: str, mime: str) -> None:
        attach(name, text, mime)
        item.stash[EVIDENCE].append({"name": name, "text": text, "mime": mime})

    return both


def _given(option: int | None, default: int) -> int:
    return default if option is None else option


@pytest.fixture(scope="session")
def observe(request: pytest.FixtureRequest) -> Callable[[], Any]:
    """`observe()` gives the probe's facts for the target of the check now running, or fails.

    Session-scoped (the check running is known from the state), so it costs nothing per test.
    """
    from opsgate.evidence import allure_probe_time

    state = request.config.stash[STATE]

    def observe_target() -> Any:
        __tracebackhide__ = True
        item = state.running
        assert item is not None and state.runner is not None and state.redactor is not None
        call = item.stash[CALL]
        outcome = state.runner.outcome(call)
        item.user_properties.append(("opsgate_probe_seconds", round(outcome.duration, 4)))
        allure_probe_time(outcome.duration)
        # Attempts that failed before the last one: a flapping target is worth knowing about.
        retried = outcome.notes[:outcome.attempts - 1]
        if retried:
            item.user_properties.append(("opsgate_retries", state.redactor.redact(json.dumps(retried))))
        if outcome.error is not None:
            raise _redacted(outcome.error, state.redactor, call) from None
        return outcome.value

    return observe_target


def _redacted(error: BaseException, redactor: Redactor, call: ProbeCall) -> BaseException:
    """The probe's error to raise in the check, with secrets masked: a finding as an assertion
    (FAILED), a configuration problem as is, anything else as a bug in opsgate (BROKEN)."""
    from opsgate.errors import OpsgateError, ProbeConfigError, ProbeFailure, as_assertion

    message = redactor.redact(str(error))
    if call.target.runbook:
        message += f"\nRunbook: {call.target.runbook}"
    if isinstance(error, ProbeFailure):
        return as_assertion(error, message)
    if isinstance(error, ProbeConfigError):
        return ProbeConfigError(message)
    frame = traceback.extract_tb(error.__traceback__)[-1:] if error.__traceback__ else []
    where = f" at {frame[0].filename}:{frame[0].lineno}" if frame else ""
    return OpsgateError(
        f"opsgate internal error in probe {call.probe}{where}: {type(error).__name__}: {message}\n"
        f"This is a bug in opsgate, not a finding about {call.target.kind} {call.target.name}: "
        "please report it with this message"
    )


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

    outcome = classify(report, call)
    if call.excinfo is not None and report.failed and _is_a_finding(outcome, call.excinfo):
        # The finding is the message; our call stack would only hide it (terminal, junit, allure).
        report.longrepr = call.excinfo.getrepr(style="value", chain=False)
    redact_report(report, state.redactor)
    if outcome in ("fail", "error") and report.when == "call" and state.profile is not None:
        outcome = _waive(item, report, state.profile) or outcome
    if report.when == "call":
        item.stash[OUTCOME] = outcome
    elif report.when == "teardown" and outcome is None:
        # junit writes only the teardown report's properties: repeat the call's outcome there.
        outcome = item.stash.get(OUTCOME, None)
    if outcome is not None:
        report.user_properties.append(("opsgate_outcome", outcome))
    if report.when == "call":
        # Plain attributes travel with the report to the xdist controller, but not into junit.
        report.opsgate_evidence = item.stash.get(EVIDENCE, [])  # type: ignore[attr-defined]
        report.opsgate_runbook = item.stash[CALL].target.runbook  # type: ignore[attr-defined]
    return report


def _waive(item: pytest.Item, report: pytest.TestReport, profile: Profile) -> str | None:
    """A failure an unexpired waiver covers reads as waived: pytest's xfail, our own outcome."""
    if not profile.waivers:
        return None
    from opsgate.waivers import active_waiver, today

    check = item.name.split("[")[0].removeprefix("test_")
    waiver = active_waiver(profile.waivers, check, item.stash[CALL].target.name, today())
    if waiver is None:
        return None
    report.outcome = "skipped"
    report.wasxfail = waiver.describe()  # type: ignore[attr-defined]
    report.opsgate_waiver = waiver.describe()  # type: ignore[attr-defined]
    return "waived"


@functools.cache
def vantage() -> str:
    """Where the checks run from: `OPSGATE_VANTAGE` (set per xdist worker with `--tx
    popen//env:OPSGATE_VANTAGE=eu-west`), else this machine's host name (an ssh worker's own).
    Asked once per process, not once per check."""
    import socket

    return os.environ.get("OPSGATE_VANTAGE") or socket.gethostname()


def _is_a_finding(outcome: str | None, excinfo: pytest.ExceptionInfo[BaseException]) -> bool:
    """A verdict or a probe failure (the target is wrong) or a check the profile configures
    wrongly: not an internal error, whose traceback is what a maintainer needs."""
    from opsgate.errors import ProbeConfigError, ProbeFailure

    return outcome == "fail" or excinfo.errisinstance((ProbeFailure, ProbeConfigError))


class _SummaryHooks:
    """Feeds every test report (the controller's, under xdist) into the run summary, and says
    how far the run is."""

    def __init__(self, summary: RunSummary) -> None:
        self.summary = summary
        self.progress: Progress | None = None

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        terminal = session.config.pluginmanager.get_plugin("terminalreporter")
        if terminal is None or session.config.option.collectonly:
            return
        from opsgate.progress import Progress

        def say(line: str) -> None:
            terminal.ensure_newline()
            if terminal._tw.width_of_current_line:  # after -q's dots, which end no line
                terminal.write("\n")
            terminal.write_line(line)

        self.progress = Progress(session.config.getoption("opsgate_progress"), say)
        self.progress.total = sum(1 for item in session.items if CALL in item.stash) or None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        record = self.summary.add(report)
        if self.progress is not None and record is not None and report.when == "teardown":
            self.progress.finished(record.outcome in ("fail", "error"))


class _WorkerTeardown:
    """Registered on an xdist controller: after Ctrl-C or SIGTERM the run must end within 2 s,
    not after xdist's 10 s wait for its workers."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_keyboard_interrupt(self) -> None:
        from opsgate.interrupt import hasten_worker_exit

        hasten_worker_exit(self.config.pluginmanager)


@pytest.hookimpl(trylast=True)  # after junitxml has written its file
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = session.config.stash[STATE]
    for cleanup in state.cleanups:
        cleanup()
    state.cleanups.clear()
    _publish_junit(session.config, state)
    if state.summary is None or state.reports_dir is None or not _controls_the_run(session.config):
        return
    if session.config.option.collectonly:
        return
    _judge_waivers(session, state)
    data = state.summary.as_json(int(session.exitstatus), session.config.option.markexpr)
    _compare_runs(session.config, state, data)
    state.summary.write(state.reports_dir, data)
    _export(session.config, state, data)
    if _nagios(session.config):
        from opsgate.nagios import verdict

        session.exitstatus, line = verdict(data, int(session.exitstatus))
        print(line)


def _judge_waivers(session: pytest.Session, state: State) -> None:
    """An expired waiver fails the run: an accepted risk needs renewing, not forgetting."""
    assert state.profile is not None and state.summary is not None
    if not state.profile.waivers:
        return
    from opsgate.waivers import as_json, expired, today

    state.summary.waivers = as_json(state.profile.waivers, today())
    lapsed = expired(state.profile.waivers, today())
    for waiver in lapsed:
        state.problems.append(f"waiver {waiver.check} (owner {waiver.owner}) expired on "
                              f"{waiver.expires.isoformat()}: {waiver.reason}; renew or remove it")
    if lapsed and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _compare_runs(config: pytest.Config, state: State, data: dict[str, Any]) -> None:
    """This run against the earlier ones (history) and against a chosen one (--baseline)."""
    assert state.summary is not None and state.reports_dir is not None
    history = config.getoption("history")
    if history != "off":
        from opsgate.history import record

        changes = record(Path(history) if history else state.reports_dir / "history.sqlite", data)
        data["history"] = changes.as_json()
        state.summary.trends = changes.trends
    if state.baseline is not None:
        from opsgate.baseline import compare

        data["baseline"] = compare(data, state.baseline, Path(config.getoption("baseline")))


def _export(config: pytest.Config, state: State, data: dict[str, Any]) -> None:
    """Results to the monitoring side; a failure here is said, and leaves the verdict alone."""
    assert state.redactor is not None and state.profile is not None
    problems = []
    textfile, pushgateway = config.getoption("metrics_textfile"), config.getoption("pushgateway")
    if textfile or pushgateway:
        from opsgate.metrics_export import export

        problems += export(data, time.time(), textfile, pushgateway)
    problems += _notify(config, state, data)
    state.problems += [state.redactor.redact(problem) for problem in problems]


def _notify(config: pytest.Config, state: State, data: dict[str, Any]) -> list[str]:
    """The profile's `notify:` and every --notify; returns what could not be sent."""
    assert state.profile is not None and state.reports_dir is not None
    if not (state.profile.notify or config.getoption("notify")):
        return []
    from opsgate.notify import Run, parse_cli, send

    recovery = config.getoption("notify_recovery")
    notifications = [*state.profile.notify,
                     *(parse_cli(text, recovery) for text in config.getoption("notify"))]
    run = Run(data, state.previously_failed, str(state.reports_dir.resolve() / "summary.html"))
    return send(notifications, run)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    state = config.stash[STATE]
    if state.summary is not None and (state.summary.checks or state.summary.notes) \
            and _controls_the_run(config):
        state.summary.print_table(terminalreporter, state.reports_dir)
    for problem in state.problems:
        terminalreporter.write_line(f"opsgate: {problem}", red=True)


def _publish_junit(config: pytest.Config, state: State) -> None:
    if state.junit is None:
        return
    written = Path(config.option.xmlpath)
    if written.exists():
        written.replace(state.junit)
    # junitxml names the file it wrote in its terminal summary: name the one the reader gets.
    for plugin in config.pluginmanager.get_plugins():
        if getattr(plugin, "logfile", None) == os.path.abspath(written):
            plugin.logfile = os.path.abspath(state.junit)
