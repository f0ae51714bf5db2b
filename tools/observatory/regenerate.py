"""Regenerate tests/judges/observatory/expected.json with the upstream Observatory analyzer.

    python tools/observatory/regenerate.py --git-dir PATH/TO/mdn-http-observatory.git [--check]

`--git-dir` is a clone (bare or not) of github.com/mdn/mdn-http-observatory that holds the
pinned commit (`UPSTREAM_COMMIT` in opsgate.judges.security_headers.observatory). The script
exports that commit to a temporary directory, installs the analyzer's runtime dependencies
at the versions of its package-lock.json from the npm registry (`--ignore-scripts`: the
postinstall step downloads the HSTS preload list, which opsgate does not consult, so an
empty list stands in for it; `--engine-strict=false`: upstream asks for node 24, the
analyzer runs on node 20 with the one polyfill in analyze.mjs), then scores every case of
tests/judges/observatory/corpus.json with analyze.mjs. Needs git, node >= 20 and npm.
With `--check` it writes nothing and exits 1 when the vendored file differs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path

from opsgate.judges.security_headers.observatory import ALGORITHM_VERSION, UPSTREAM_COMMIT

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1] / "tests" / "judges" / "observatory"
# What src/scanner/index.js imports at run time, directly or through its modules.
RUNTIME_PACKAGES = (
    "axios",
    "convict",
    "htmlparser2",
    "http-cookie-agent",
    "structured-headers",
    "tldts",
    "tough-cookie",
)
NPM_TIMEOUT_S = 600
NODE_TIMEOUT_S = 120


def export_source(git_dir: Path, commit: str, into: Path) -> None:
    archive = subprocess.run(
        ["git", "--git-dir", str(git_dir), "archive", "--format=tar", commit],
        check=True,
        capture_output=True,
        timeout=NODE_TIMEOUT_S,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")


def install_dependencies(source: Path, deps: Path) -> None:
    """npm-install the pinned runtime packages beside the source, then link them in."""
    lock = json.loads((source / "package-lock.json").read_text())["packages"]
    specs = [f"{name}@{lock[f'node_modules/{name}']['version']}" for name in RUNTIME_PACKAGES]
    (deps / "package.json").write_text('{"name": "observatory-deps", "private": true}\n')
    subprocess.run(
        ["npm", "install", "--ignore-scripts", "--engine-strict=false", "--no-audit", "--no-fund", *specs],
        cwd=deps,
        check=True,
        timeout=NPM_TIMEOUT_S,
    )
    (source / "node_modules").symlink_to(deps / "node_modules")
    (source / "conf" / "hsts-preload.json").write_text("{}\n")


@contextmanager
def upstream_analyzer(git_dir: Path) -> Iterator[Path]:
    """A temporary checkout of the pinned commit, ready for analyze.mjs; yields its path."""
    with tempfile.TemporaryDirectory(prefix="observatory-") as tmp:
        source, deps = Path(tmp, "source"), Path(tmp, "deps")
        source.mkdir()
        deps.mkdir()
        export_source(git_dir, UPSTREAM_COMMIT, source)
        install_dependencies(source, deps)
        yield source


def score_corpus(source: Path, corpus: Path = DATA / "corpus.json") -> dict[str, object]:
    """Upstream's score, grade and per-test results for every case of `corpus`."""
    out = subprocess.run(
        ["node", str(HERE / "analyze.mjs"), str(source), str(corpus)],
        check=True,
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT_S,
    ).stdout
    scored = json.loads(out)
    if scored["algorithmVersion"] != ALGORITHM_VERSION:
        raise SystemExit(
            f"upstream is at algorithm version {scored['algorithmVersion']}, opsgate follows "
            f"{ALGORITHM_VERSION}: review the changes before regenerating"
        )
    return {"upstreamCommit": UPSTREAM_COMMIT, **scored}


def render(scored: dict[str, object]) -> str:
    """JSON with one line per case, so a regenerated file diffs case by case."""
    results = scored.pop("results")
    assert isinstance(results, dict)
    head = [f"  {json.dumps(key)}: {json.dumps(value)}," for key, value in scored.items()]
    cases = ",\n".join(f"    {json.dumps(key)}: {json.dumps(value)}" for key, value in results.items())
    return "{\n" + "\n".join(head) + '\n  "results": {\n' + cases + "\n  }\n}\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--git-dir", type=Path, required=True, help="clone of mdn/mdn-http-observatory")
    parser.add_argument("--check", action="store_true", help="compare with the vendored file only")
    args = parser.parse_args()
    with upstream_analyzer(args.git_dir) as source:
        text = render(score_corpus(source))
    target = DATA / "expected.json"
    if args.check:
        same = target.read_text() == text
        print("expected.json is up to date" if same else "expected.json differs from upstream's output")
        return 0 if same else 1
    target.write_text(text)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
