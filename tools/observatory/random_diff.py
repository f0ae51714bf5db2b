"""Score random header sets with opsgate and with the upstream Observatory analyzer; list mismatches.

    python tools/observatory/random_diff.py --git-dir PATH/TO/mdn-http-observatory.git [-n 1500] [--seed 7]

A search for cases the curated corpus misses: each set draws every header from a pool of
ordinary, odd and invalid values (sometimes twice), plus up to two cookies, served over
HTTPS or, one time in five, plain HTTP. Mismatches of a result id are grouped by
(test, ours, upstream) with one example each; plain-HTTP cookie results differ on purpose
(docs/security-headers.md) and are counted apart. Exits 1 when anything else differs: turn
such a case into a corpus entry and fix it, or document it as intended.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from regenerate import score_corpus, upstream_analyzer

from opsgate.judges.security_headers import assess
from opsgate.targets.http import SecurityHeadersPolicy

POOLS: dict[str, list[str]] = {
    "Content-Security-Policy": [
        "default-src 'self'", "default-src 'none'; script-src 'self'", "default-src *",
        "default-src 'self'; script-src 'unsafe-inline'", "default-src https:",
        "script-src 'nonce-a' 'strict-dynamic' https: 'unsafe-inline'", "script-src 'strict-dynamic'",
        "default-src 'nonce-a' 'strict-dynamic' http:", "default-src 'self' http://x.example",
        "img-src http:; default-src 'self'", "default-src 'self'; style-src 'unsafe-inline' 'nonce-b'",
        "default-src 'self'; frame-ancestors *", "frame-ancestors 'none'", "DEFAULT-SRC 'SELF'",
        "default-src 'sha256-x' 'unsafe-inline'", "default-src 'self' 'unsafe-eval'; object-src 'none'",
        "default-src 'self'; object-src 'none'; media-src ftp://m.example", ";;;;;;;;",
        "default-src 'self'; report-to a; report-to b", "default-src 'self',img-src 'none'",
        "default-src 'self'; script-src 'self'; default-src 'none'", "upgrade-insecure-requests",
    ],
    "X-Frame-Options": ["DENY", "sameorigin", "ALLOW-FROM https://a.example", "ALLOWALL", "", " deny "],
    "X-Content-Type-Options": ["nosniff", "NOSNIFF ", "nope", ""],
    "Referrer-Policy": [
        "no-referrer", "unsafe-url", "origin", "bogus", "same-origin, bogus", "", "Strict-Origin",
    ],
    "Strict-Transport-Security": [
        "max-age=31536000", "max-age=0", "max-age=15552000; preload", "max-age=abc", "max-age = 5",
        "includeSubDomains", "max-age=-3", "max-age=+31536000", "max-age=1e9", "",
        "max-age=10; max-age=99999999",
    ],
    "Cross-Origin-Resource-Policy": ["same-origin", "same-site", "cross-origin", "x", "SAME-ORIGIN", ""],
    "Cross-Origin-Opener-Policy": [
        "same-origin", "unsafe-none", 'same-origin-allow-popups;report-to="a"', "x y", "same-origin;",
        "?1", '"unsafe-none"', "", "noopener-allow-popups ;a=1",
    ],
    "Cross-Origin-Embedder-Policy": [
        "require-corp", "credentialless", "unsafe-none", "Require-Corp", "1", "",
    ],
    "Access-Control-Allow-Origin": ["*", "https://a.example", "null"],
    "Access-Control-Allow-Credentials": ["true", "TRUE"],
}  # fmt: skip
COOKIES = [
    "session=1; Secure; HttpOnly; SameSite=Lax", "session=1", "session=1; HttpOnly", "session=1; Secure",
    "session=1; SameSite=None", "session=1; SameSite", "csrf=1; Secure", "csrf=1; Secure; SameSite=Strict",
    "theme=1; Secure; SameSite=Lax", "theme=1", "LOGIN=1; Secure; SameSite=Lax", "x=1; samesite=lax; secure",
]  # fmt: skip


def random_case(rng: random.Random, index: int) -> dict[str, Any]:
    headers: list[list[str]] = []
    for name, pool in POOLS.items():
        for _ in range(rng.choice([0, 1, 1, 1, 2]) if rng.random() < 0.8 else 0):
            headers.append([name, rng.choice(pool)])
    headers += [["Set-Cookie", rng.choice(COOKIES)] for _ in range(rng.choice([0, 0, 1, 2]))]
    return {"id": f"r{index}", "scheme": "http" if rng.random() < 0.2 else "https", "headers": headers}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--git-dir", type=Path, required=True, help="clone of mdn/mdn-http-observatory")
    parser.add_argument("-n", type=int, default=1500, help="how many header sets")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    cases = [random_case(rng, i) for i in range(args.n)]
    with upstream_analyzer(args.git_dir) as source, tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump({"cases": cases}, f)
        f.flush()
        upstream: dict[str, Any] = score_corpus(source, Path(f.name))["results"]  # type: ignore[assignment]
    mismatches: Counter[tuple[str, str | None, str]] = Counter()
    examples: dict[tuple[str, str | None, str], dict[str, Any]] = {}
    intended = 0
    for case in cases:
        https = case["scheme"] == "https"
        ours = assess([(n, v) for n, v in case["headers"]], https=https, policy=SecurityHeadersPolicy())
        for line in ours.breakdown:
            theirs = upstream[case["id"]]["tests"][line.test]["result"]
            if line.result is None or line.result == theirs:
                continue
            if line.test == "cookies" and not https:
                intended += 1
                continue
            key = (line.test, line.result, theirs)
            mismatches[key] += 1
            examples.setdefault(key, case)
    print(f"{args.n} header sets; {intended} plain-HTTP cookie results differ on purpose")
    for key, count in mismatches.most_common():
        print(f"{count:5d}  {key[0]}: opsgate {key[1]}, upstream {key[2]}; e.g. {examples[key]}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
