"""The decorator that turns a test function in `checks/` into an opsgate check."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

if TYPE_CHECKING:  # the plugin imports this module in every pytest run: keep pydantic out
    from opsgate.targets import Target

F = TypeVar("F", bound=Callable[..., Any])
MARKER = "opsgate_check"


def check(
    section: str, *, probe: str | Callable[[Any, float], Any],
    applies: Callable[[Target], bool] | None = None, suites: tuple[str, ...] | None = None,
    intrusive: bool = False,
) -> Callable[[F], F]:
    """Parametrize the check by the profile's `section` targets (a built-in section, or one of
    the profile's `custom:` sections); `probe` ("module:function", or the function itself,
    called as `probe(target, timeout)`) gathers the facts the check judges. `applies` picks
    targets, `suites` overrides the kind's default suites, `intrusive` adds the `intrusive`
    marker."""
    return pytest.mark.opsgate_check(  # type: ignore[no-any-return]
        section=section, probe=probe, applies=applies, suites=suites, intrusive=intrusive,
    )
