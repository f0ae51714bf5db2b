"""The probe's one deadline: each operation gets what is left, at most its cap, never a fresh timeout."""

from __future__ import annotations

import time

import pytest

from opsgate.deadline import Deadline
from opsgate.errors import ProbeTimeout


def test_each_operation_gets_what_is_left_at_most_its_cap() -> None:
    deadline = Deadline(0.3)
    assert deadline.budget("PING", cap=0.1) == 0.1
    time.sleep(0.15)
    assert 0.0 < deadline.budget("INFO") <= 0.15
    assert not deadline.expired


def test_an_operation_with_no_time_left_is_never_started() -> None:
    deadline = Deadline(0.0045)
    time.sleep(0.01)
    assert deadline.expired and deadline.remaining() == 0.0
    # Durations read like `4.5ms` in messages, never `0.0045s`.
    with pytest.raises(ProbeTimeout, match=r"^no time left for DBSIZE: the probe's 4.5ms timeout ran out$"):
        deadline.budget("DBSIZE")
