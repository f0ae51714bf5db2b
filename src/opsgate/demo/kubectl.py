"""A replica `kubectl` for the AisleMarts replica: the runbook's read-only commands, answered from
the demo target's `/replicas/aislemarts/k8s/` routes in the shapes the real one prints.

    python -m opsgate.demo.kubectl --server http://127.0.0.1:8642 -n prod get pods -l app=aislemarts -o json

Understood: `get pods|jobs [-l ...] -o json`, `get deploy|hpa NAME -o json`, `logs -l app=NAME ...`.
Anything else exits 1 with kubectl's own wording, so a profile that asks for more fails visibly.
"""

from __future__ import annotations

import argparse
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence


def path_for(words: Sequence[str], selector: str | None) -> str | None:
    """The replica route for a kubectl command line (without its flags), or None if not replicated."""
    if words[:2] in (["get", "pods"], ["get", "jobs"]):
        return f"/k8s/{words[1]}"
    if len(words) == 3 and words[0] == "get" and words[1] in ("deploy", "hpa"):
        return f"/k8s/{words[1]}/{words[2]}"
    if words[:1] == ["logs"] and selector and selector.startswith("app="):
        return f"/k8s/logs/{selector.removeprefix('app=')}"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kubectl (opsgate replica)")
    parser.add_argument("--server", required=True)
    parser.add_argument("-n", "--namespace", default="default")
    parser.add_argument("-l", "--selector")
    parser.add_argument("-o", "--output")
    parser.add_argument("--since")
    parser.add_argument("--tail")
    parser.add_argument("words", nargs="+")
    args = parser.parse_args(argv)
    path = path_for(args.words, args.selector)
    if path is None:
        print(f"error: unknown command {' '.join(args.words)!r} for the replica", file=sys.stderr)
        return 1
    try:
        with urllib.request.urlopen(f"{args.server}/replicas/aislemarts{path}", timeout=10) as answer:
            sys.stdout.write(answer.read().decode())
    except (urllib.error.URLError, TimeoutError) as exc:
        print(f"error: the server could not be reached: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
