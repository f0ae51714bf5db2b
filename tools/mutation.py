#!/usr/bin/env python3
"""Mutation testing of opsgate's core with cosmic-ray, one module at a time, incrementally.

    nice -n 10 .venv/bin/python tools/mutation.py                 # every core module
    nice -n 10 .venv/bin/python tools/mutation.py stats.py redact.py
    .venv/bin/python tools/mutation.py --report                   # scores so far, runs nothing
    .venv/bin/python tools/mutation.py --survivors judges/tls.py  # what the tests let through

Each module is mutated by cosmic-ray (its operators, `cosmic-ray init` and `exec`, its session
database) and judged by its own fast tests only (`MODULES`). A module's session is reused while
the module, its tests and this script's settings are unchanged, so a second run costs nothing and
an interrupted one resumes where it stopped. Runs happen in a copy of the tree under `.mutation/`,
so the working tree is never left mutated. docs/mutation.md explains the score and lists the
equivalent mutants (`EQUIVALENT` below), which do not count.

Speed: cosmic-ray starts the test command once per mutant. That command is a tiny client of a
fork server which has already imported pytest, its plugins and the heavy libraries (but no
opsgate module): each mutant costs a fork and a pytest run (~0.4 s) instead of a fresh
interpreter (~2 s).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
STATE = REPO / ".mutation"
WORK = STATE / "work"
SESSIONS = STATE / "sessions"
COPIED = ("src", "tests", "checks", "profiles", "conftest.py", "pyproject.toml")
VERSION = "1"  # bump to invalidate every stored session
COSMIC_RAY = str(Path(sys.executable).parent / "cosmic-ray")

# Each core module (under src/opsgate/) and the fast tests that judge it (pytest arguments).
MODULES: dict[str, tuple[str, ...]] = {
    "stats.py": ("tests/test_stats.py",),
    "redact.py": ("tests/test_redact.py", "tests/test_profile.py"),
    "runner.py": ("tests/test_runner.py",),
    "verdict.py": ("tests/test_verdict.py", "tests/judges"),
    "profile.py": ("tests/test_profile.py", "tests/targets"),
    "plugin.py": ("tests/test_plugin.py",),
    "judges/_format.py": ("tests/judges",),
    "judges/backup.py": ("tests/judges/test_backup.py",),
    "judges/database.py": ("tests/judges/test_datastores.py",),
    "judges/dns.py": ("tests/judges/test_dns.py",),
    "judges/host.py": ("tests/judges/test_host.py",),
    "judges/http.py": ("tests/judges/test_http.py",),
    "judges/latency.py": ("tests/judges/test_latency.py",),
    "judges/metrics.py": ("tests/judges/test_metrics.py", "tests/probes/test_prometheus.py",
                          "tests/checks/test_metrics.py"),
    "judges/queue.py": ("tests/judges/test_datastores.py", "tests/checks/test_queues.py"),
    "judges/redis.py": ("tests/judges/test_datastores.py",),
    "judges/security_headers": ("tests/judges/test_security_headers.py",),  # a package: all its modules
    "judges/tls.py": ("tests/judges/test_tls.py",),
    "judges/webhook.py": ("tests/judges/test_webhook.py", "tests/checks/test_webhooks.py"),
    "targets/__init__.py": ("tests/targets", "tests/test_profile.py"),
    "targets/_urls.py": ("tests/targets", "tests/test_profile.py"),
    "targets/_validate.py": ("tests/targets", "tests/test_profile.py"),
    "targets/backup.py": ("tests/targets/test_backup_host.py", "tests/test_profile.py"),
    "targets/database.py": ("tests/targets/test_database.py", "tests/targets/test_shared.py",
                            "tests/test_profile.py"),
    "targets/dns.py": ("tests/targets/test_dns.py", "tests/targets/test_shared.py", "tests/test_profile.py"),
    "targets/host.py": ("tests/targets/test_backup_host.py", "tests/test_profile.py"),
    "targets/http.py": ("tests/targets/test_http.py", "tests/targets/test_shared.py", "tests/test_profile.py",
                        "tests/judges/test_http.py"),
    "targets/latency.py": ("tests/targets/test_latency.py", "tests/test_profile.py"),
    "targets/metrics.py": ("tests/targets/test_metrics.py", "tests/test_profile.py"),
    "targets/queue.py": ("tests/targets/test_queue.py", "tests/targets/test_shared.py",
                         "tests/test_profile.py"),
    "targets/redis.py": ("tests/targets/test_tls_redis.py", "tests/targets/test_shared.py",
                         "tests/test_profile.py", "tests/judges/test_datastores.py"),
    "targets/tls.py": ("tests/targets/test_tls_redis.py", "tests/judges/test_tls.py",
                       "tests/test_profile.py"),
    "targets/webhook.py": ("tests/targets/test_webhook.py", "tests/targets/test_shared.py",
                           "tests/test_profile.py"),
    # The judging parts of probes: facts that decide a verdict (limits, db, signatures, timestamps).
    "probes/database.py": ("tests/judges/test_datastores.py", "tests/probes/test_database.py"),
    "probes/redis.py": ("tests/probes/test_redis.py", "tests/judges/test_datastores.py"),
    "probes/webhook.py": ("tests/probes/test_webhook.py",),
}

# Operators left out everywhere (docs/mutation.md says why): an arithmetic operator replaced by a
# bitwise, shift, power, modulo or floor-division one adds mutants that the Add/Sub/Mul/Div
# replacements of the same site already stand for; `x < y` -> `x is y` is `==` with identity.
EXCLUDED_OPERATORS = (
    r"core/ReplaceBinaryOperator_(Add|Sub|Mul|Div)_(FloorDiv|Mod|Pow|RShift|LShift|BitOr|BitAnd|BitXor)$",
    r"core/ReplaceComparisonOperator_(Lt|LtE|Gt|GtE)_(Is|IsNot)$",
)

# Mutants that cannot change behaviour are listed, with the reason, in a table of this document:
# | `module` | `Operator` | `the mutated line` | reason |
EQUIVALENTS_DOC = REPO / "docs" / "mutation.md"

_TESTS_OK, _TESTS_FAILED, _TIMED_OUT = 0, 1, 3


@dataclass(frozen=True)
class Score:
    killed: int
    survived: int
    skipped: int
    equivalent: int
    pending: int

    @property
    def percent(self) -> float | None:
        judged = self.killed + self.survived
        return 100.0 * self.killed / judged if judged else None


def main() -> int:
    # The two internal roles: the fork server, and the test command cosmic-ray runs per mutant.
    if sys.argv[1:2] == ["_serve"]:
        return serve_forks(Path(sys.argv[2]), float(sys.argv[3]))
    if sys.argv[1:2] == ["_test"]:
        return ask_server(Path(sys.argv[2]), sys.argv[3:])
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help="modules under src/opsgate/ (default: all core modules)")
    parser.add_argument("--report", action="store_true", help="print the stored scores, run nothing")
    parser.add_argument("--survivors", action="store_true", help="list each surviving mutant")
    parser.add_argument("--fresh", action="store_true", help="forget stored sessions of these modules")
    args = parser.parse_args()
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        parser.error(f"not a core module: {', '.join(unknown)} (known: {', '.join(MODULES)})")
    modules = args.modules or list(MODULES)
    os.nice(max(0, 10 - os.nice(0)))  # the machine is shared: at least nice 10, inherited by every run
    SESSIONS.mkdir(parents=True, exist_ok=True)
    copied = False
    for module in modules:
        session = SESSIONS / (module.replace("/", "__") + ".sqlite")
        key_file = session.with_suffix(".key")
        key = session_key(module)
        if args.fresh:
            session.unlink(missing_ok=True)
        old = key_file.read_text() if session.exists() and key_file.exists() else ""
        stored = old == key
        if not args.report:
            if not copied:
                copy_tree()
                copied = True
            if not stored and old.split(":")[0] == key.split(":")[0]:
                # The module is as it was: only its tests (or their list) changed.
                write_config(module, session, configured_timeout(session))
                recheck_survivors(session)
            elif not stored:
                session.unlink(missing_ok=True)
                if not initialise(module, session):
                    continue
            key_file.write_text(key)
            started = time.monotonic()
            execute(module, session)
            print(f"  ({time.monotonic() - started:.0f} s)", file=sys.stderr)
        elif not session.exists():
            print(f"{module:32} no session yet (run it)")
            continue
        print_score(module, session, args.survivors, stale=not stored and args.report)
    return 0


def session_key(module: str) -> str:
    """What a stored session's results depend on: "<the module and these settings>:<its tests>"."""
    source = hashlib.sha256(f"{VERSION}{EXCLUDED_OPERATORS}".encode())
    path = REPO / "src/opsgate" / module
    for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
        source.update(file.read_bytes())
    digest = hashlib.sha256()
    for argument in MODULES[module]:
        path = REPO / argument
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for file in files:
            digest.update(file.read_bytes())
    for shared in ("tests/conftest.py", "tests/servers/__init__.py", "tests/servers_tls.py"):
        digest.update((REPO / shared).read_bytes())
    return f"{source.hexdigest()}:{digest.hexdigest()}"


def configured_timeout(session: Path) -> float:
    lines = session.with_suffix(".toml").read_text().splitlines()
    return float(next(line.split("=")[1] for line in lines if line.startswith("timeout")))


def recheck_survivors(session: Path) -> None:
    """New or changed tests of an unchanged module: run its survivors again, keep the kills.
    (After removing or weakening tests, `--fresh` re-runs every mutant.)"""
    import sqlite3

    with sqlite3.connect(session) as db:
        db.execute("DELETE FROM work_results WHERE test_outcome = 'SURVIVED'")


def copy_tree() -> None:
    """The working tree as it is now (uncommitted changes included), without bytecode: a mutated
    module must never be shadowed by a stale .pyc of the same size and second."""
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, WORK / name, ignore=ignore)
        else:
            shutil.copy2(source, WORK / name)
    (WORK / "reports").mkdir()


def environment() -> dict[str, str]:
    """The copy's sources first on the path (ahead of the editable install), no bytecode."""
    env = dict(os.environ, PYTHONPATH=str(WORK / "src"), PYTHONDONTWRITEBYTECODE="1")
    env.pop("OPSGATE_PROFILE", None)
    return env


def pytest_args(module: str) -> list[str]:
    return ["-x", "-q", "-p", "no:cacheprovider", "--assert=plain", "-W",
            "ignore::pytest.PytestAssertRewriteWarning", *MODULES[module]]


def initialise(module: str, session: Path) -> bool:
    """Baseline run, `cosmic-ray init`, then mark excluded and equivalent mutants as skipped."""
    started = time.monotonic()
    baseline = subprocess.run([sys.executable, "-m", "pytest", *pytest_args(module)], cwd=WORK,
                              env=environment(), capture_output=True, text=True)
    seconds = time.monotonic() - started
    if baseline.returncode != 0:
        print(f"{module:32} its tests fail without any mutation: fix them first\n"
              f"{baseline.stdout[-2000:]}", file=sys.stderr)
        return False
    # Generous: the machine is shared, and a mutant that hangs counts as killed anyway.
    timeout = max(20.0, 6 * seconds)
    config = write_config(module, session, timeout)
    subprocess.run([COSMIC_RAY, "init", str(config), str(session)], cwd=WORK, check=True)
    mark_skipped(module, session)
    return True


def write_config(module: str, session: Path, timeout: float) -> Path:
    """The session's cosmic-ray configuration: the module, the per-mutant timeout, the test command."""
    config = session.with_suffix(".toml")
    config.write_text(
        "[cosmic-ray]\n"
        f'module-path = "src/opsgate/{module}"\n'
        f"timeout = {timeout:.0f}\n"
        "excluded-modules = []\n"
        f'test-command = "{sys.executable} {Path(__file__).resolve()} _test {session.with_suffix(".sock")}'
        f' {" ".join(pytest_args(module))}"\n'
        "[cosmic-ray.distributor]\n"
        'name = "local"\n'
    )
    return config


def mark_skipped(module: str, session: Path) -> None:
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    excluded = re.compile("|".join(EXCLUDED_OPERATORS))
    inert: dict[Path, list[tuple[tuple[int, int], tuple[int, int]]]] = {}
    known = equivalents(module)
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item in db.pending_work_items:
            mutation = item.mutations[0]
            path = WORK / mutation.module_path  # a package's mutants are in its several modules
            if path not in inert:
                inert[path] = inert_lines(path, module)
            position = tuple(mutation.start_pos)
            reason = None
            if excluded.match(mutation.operator_name):
                reason = "excluded operator"
            elif implicit_classmethod(path, mutation):
                reason = "equivalent: " + IMPLICIT_CLASSMETHOD
            elif any(start <= position < end for start, end in inert[path]):
                reason = "equivalent: inside an annotation that is never evaluated"
            elif (line := mutated_line(path, mutation)) is None:
                reason = "cosmic-ray cannot apply it (its ExceptionReplacer fails on `except (a.B, C)`)"
            else:
                key = (mutation.operator_name.removeprefix("core/"), _squeeze(line))
                if key in known:
                    reason = "equivalent: " + known[key]
            if reason:
                db.set_result(item.job_id, WorkResult(output=reason, worker_outcome=WorkerOutcome.SKIPPED))


def equivalents(module: str) -> dict[tuple[str, str], str]:
    """(operator, mutated line without blanks) -> reason, from the table in docs/mutation.md."""
    found = {}
    for row in EQUIVALENTS_DOC.read_text().splitlines() if EQUIVALENTS_DOC.exists() else []:
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]
        if len(cells) == 4 and cells[0] in (f"`{module}`", "`*`"):
            operator, line = cells[1].strip("`"), cells[2].strip("`").replace("\\|", "|")
            found[(operator, _squeeze(line))] = cells[3]
    return found


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def mutated_line(path: Path, mutation: Any) -> str | None:
    """The first line the mutant changes, as cosmic-ray writes it; None when cosmic-ray 8.7 fails to
    apply it (ExceptionReplacer on a dotted name inside an except tuple raises AttributeError, and
    would stop `cosmic-ray exec` too)."""
    from cosmic_ray.mutating import mutate_code
    from cosmic_ray.plugins import get_operator

    operator = get_operator(mutation.operator_name)(**mutation.operator_args)
    original = path.read_text()
    try:
        mutated = mutate_code(original, operator, mutation.occurrence) or original
    except AttributeError:
        if mutation.operator_name != "core/ExceptionReplacer":
            raise
        return None
    pairs = zip(original.splitlines(), mutated.splitlines(), strict=False)
    return next((new for old, new in pairs if old != new), "")


def inert_lines(path: Path, module: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Spans of annotations Python never evaluates (every module has `from __future__ import
    annotations`): function signatures and local variables. Class-body annotations stay mutable
    in pydantic modules (targets/, profile.py), which evaluate them."""
    tree = ast.parse(path.read_text())
    models_evaluate = module.startswith("targets/") or module == "profile.py"
    spans: list[tuple[tuple[int, int], tuple[int, int]]] = []

    def span(node: ast.expr) -> None:
        end = (node.end_lineno or node.lineno, node.end_col_offset or 0)
        spans.append(((node.lineno, node.col_offset), end))

    class_bodies = {id(n) for c in ast.walk(tree) if isinstance(c, ast.ClassDef) for n in c.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = node.args
            for arg in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                        arguments.vararg, arguments.kwarg):
                if arg is not None and arg.annotation is not None:
                    span(arg.annotation)
            if node.returns is not None:
                span(node.returns)
        elif isinstance(node, ast.AnnAssign) and not (models_evaluate and id(node) in class_bodies):
            span(node.annotation)
    return spans


IMPLICIT_CLASSMETHOD = "@classmethod removed under a pydantic validator, which makes the function one itself"


def implicit_classmethod(path: Path, mutation: Any) -> bool:
    """Whether the mutant removes a `@classmethod` written under `@field_validator(...)` or
    `@model_validator(...)`: pydantic wraps the validator as a classmethod all the same."""
    if mutation.operator_name != "core/RemoveDecorator":
        return False
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef):
            names = [d.func.id if isinstance(d, ast.Call) and isinstance(d.func, ast.Name) else
                     d.id if isinstance(d, ast.Name) else "" for d in node.decorator_list]
            for index, decorator in enumerate(node.decorator_list):
                at = (decorator.lineno, decorator.col_offset - 1)  # cosmic-ray's position is the "@"
                if (names[index] == "classmethod" and tuple(mutation.start_pos) == at
                        and {"field_validator", "model_validator"} & set(names[:index])):
                    return True
    return False


def execute(module: str, session: Path) -> None:
    """`cosmic-ray exec` with the fork server up; resumes whatever is still pending."""
    sock = session.with_suffix(".sock")
    sock.unlink(missing_ok=True)
    config = session.with_suffix(".toml")
    timeout = configured_timeout(session)
    server = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "_serve", str(sock),
                               str(timeout - 2)], cwd=WORK, env=environment())
    try:
        deadline = time.monotonic() + 60
        while not sock.exists():
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the fork server did not start")
            time.sleep(0.1)
        print(f"{module}: mutating ...", file=sys.stderr)
        subprocess.run([COSMIC_RAY, "exec", str(config), str(session)],
                       cwd=WORK, env=environment(), check=True)
    finally:
        server.terminate()
        server.wait(10)
        sock.unlink(missing_ok=True)


def serve_forks(path: Path, timeout: float) -> int:
    """Import pytest, its plugins and the heavy libraries once; run each request's pytest in a
    fork, so the fork imports opsgate (the mutated copy) afresh."""
    import importlib
    from importlib.metadata import entry_points

    import pytest

    for plugin in entry_points(group="pytest11"):
        if not plugin.value.startswith("opsgate"):
            importlib.import_module(plugin.value)
    for heavy in ("_pytest.pytester", "anyio._backends._asyncio", "pydantic", "yaml", "httpx", "redis",
                  "psycopg", "pymysql", "cryptography.x509", "dns.resolver", "trustme"):
        importlib.import_module(heavy)
    assert not any(name.startswith("opsgate") for name in sys.modules), "opsgate imported too early"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)
    while True:
        connection, _ = listener.accept()
        with connection:
            request = json.loads(connection.makefile().readline())
            connection.sendall(f"{_run_forked(pytest, request, timeout)}\n".encode())


def _run_forked(pytest: object, arguments: list[str], timeout: float) -> int:
    pid = os.fork()
    if pid == 0:  # the child: its own process group, so a timeout can end what it started
        os.setsid()
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        code = pytest.main(arguments)  # type: ignore[attr-defined]
        os._exit(int(code))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return _TESTS_OK if os.waitstatus_to_exitcode(status) == 0 else _TESTS_FAILED
        time.sleep(0.01)
    os.killpg(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return _TIMED_OUT


def ask_server(path: Path, arguments: list[str]) -> int:
    """The test command cosmic-ray runs: pass the pytest arguments on, exit with the verdict."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(str(path))
        connection.sendall((json.dumps(arguments) + "\n").encode())
        return int(connection.makefile().readline())


def score_of(module: str, session: Path) -> tuple[Score, list[tuple[str, int, str]]]:
    """The counts, and each survivor as (operator, line, the mutated line); a survivor that the
    equivalents table lists (perhaps since the run) counts as equivalent."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome

    counts: Counter[str] = Counter()
    survivors = []
    known = equivalents(module)
    with use_db(str(session), WorkDB.Mode.open) as db:
        pending = db.num_work_items - db.num_results
        for item, result in db.completed_work_items:
            mutation = item.mutations[0]
            if result.worker_outcome == WorkerOutcome.SKIPPED:
                counts["equivalent" if (result.output or "").startswith("equivalent") else "skipped"] += 1
            elif result.test_outcome == TestOutcome.SURVIVED:
                operator, changed = mutation.operator_name.removeprefix("core/"), _mutated_line(result.diff)
                if (operator, _squeeze(changed)) in known or implicit_classmethod(REPO / mutation.module_path,
                                                                                   mutation):
                    counts["equivalent"] += 1
                    continue
                counts["survived"] += 1
                survivors.append((operator, mutation.start_pos[0], changed.strip()))
            else:
                counts["killed"] += 1
    score = Score(counts["killed"], counts["survived"], counts["skipped"], counts["equivalent"], pending)
    return score, sorted(survivors, key=lambda s: s[1])


def _mutated_line(diff: str | None) -> str:
    lines = (diff or "").splitlines()
    added = [line[1:] for line in lines if line.startswith("+") and not line.startswith("++")]
    return added[0] if added else "?"


def print_score(module: str, session: Path, survivors: bool, stale: bool = False) -> None:
    score, surviving = score_of(module, session)
    percent = f"{score.percent:5.1f} %" if score.percent is not None else "    - "
    pending = f", {score.pending} pending" if score.pending else ""
    print(f"{module:32} {percent}  killed {score.killed:4} of {score.killed + score.survived:4}"
          f"  (equivalent {score.equivalent}, operators left out {score.skipped}{pending})"
          + ("  [stale: the module or its tests changed since]" if stale else ""))
    if survivors:
        for operator, line, mutated in surviving:
            print(f"    line {line:4}  {operator:40} -> {mutated[:100]}")


if __name__ == "__main__":
    sys.exit(main())
