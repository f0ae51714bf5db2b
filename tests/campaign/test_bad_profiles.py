"""Every bad profile is refused on the command line: exit 4, the file and the key path, no traceback.

The rows are the profiles in `tests/profiles/invalid/` (each file's first line, `# error: ...`, is
the message it must produce; `tests/test_profile.py` checks the same rows against the loader
alone) and GENERATED, the inputs too large to keep as files. Add a file there, or a row here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from opsgate.profile import MAX_PROFILE_BYTES

INVALID = Path(__file__).resolve().parents[1] / "profiles" / "invalid"


def padded_past_the_cap(directory: Path) -> Path:
    path = directory / "oversized.yaml"
    path.write_text("name: oversized\n" + "#" * MAX_PROFILE_BYTES + "\n")
    return path


# (row id, expected message, writer of the profile into a directory)
GENERATED: list[tuple[str, str, Callable[[Path], Path]]] = [
    ("oversized", "the profile is larger than 1024 KiB, the most a profile may be", padded_past_the_cap),
]


def expected_error(path: Path) -> str:
    return path.read_bytes().splitlines()[0].decode("ascii").removeprefix("# error: ")


CASES = [(p.stem, expected_error(p), lambda _, p=p: p) for p in sorted(INVALID.glob("*.yaml"))]
CASES += GENERATED


@pytest.mark.parametrize(("message", "write"), [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_a_bad_profile_is_a_usage_error_naming_file_and_key(
    pytester: pytest.Pytester, message: str, write: Callable[[Path], Path],
) -> None:
    pytester._monkeypatch.delenv("OPSGATE_TEST_UNSET_KEY", raising=False)
    path = write(pytester.path)
    result = pytester.runpytest_inprocess(f"--profile={path}", "-p", "no:cacheprovider")
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR, output
    assert f"opsgate profile error:\n{path}: " in output
    assert message in output
    assert "Traceback" not in output and "INTERNALERROR" not in output
