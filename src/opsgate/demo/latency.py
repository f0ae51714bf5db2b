"""Demo route with a known latency distribution, for latency checks and their tests.

`GET /latency?fast=20&slow=200&every=10&key=K` sleeps `slow` ms on every `every`-th request of
key K (counted per key, in arrival order) and `fast` ms on the others: exactly 1 in `every`
requests is slow, whatever the concurrency, so the true distribution of any run of requests is
known. `every=0` makes every request fast. Durations are capped at 10 s.
"""

from __future__ import annotations

import itertools
import threading
from collections import defaultdict
from collections.abc import Iterator

from opsgate.demo.app import Request, Response, json_response, route

CAP_MS = 10_000
_counters: dict[str, Iterator[int]] = defaultdict(itertools.count)
_lock = threading.Lock()


def _ms(req: Request, name: str, default: int) -> int | None:
    raw = req.arg(name, str(default)) or ""
    return min(int(raw), CAP_MS) if raw.isdigit() else None


@route("GET", "/latency")
def latency(req: Request) -> Response:
    fast, slow, every = _ms(req, "fast", 20), _ms(req, "slow", 200), _ms(req, "every", 10)
    if fast is None or slow is None or every is None:
        return json_response(400, {"error": "fast, slow and every must be non-negative integers"})
    with _lock:
        index = next(_counters[req.arg("key", "") or ""])
    is_slow = every > 0 and index % every == every - 1
    delay = slow if is_slow else fast
    req.state.stopping.wait(delay / 1000)
    return json_response(200, {"request": index, "slept_ms": delay, "slow": is_slow})
