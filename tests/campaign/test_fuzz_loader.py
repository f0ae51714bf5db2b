"""Property-based fuzzing of the profile loader: any byte string, any YAML document, and documents
shaped like profiles (real section and key names, hostile values) either load into a valid profile
or are refused with a ProfileError (the usage error) — never another exception, never a hang.

The budget is `OPSGATE_FUZZ_EXAMPLES` examples per property (100 unless set); the deadline is a
hang guard, not a performance figure (the loader's times are measured in bench/profile_refusals.py).
"""

from __future__ import annotations

import os
import tempfile
import typing
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opsgate.profile import Profile, ProfileError, load_profile
from opsgate.targets import Strict

FUZZ = settings(
    max_examples=int(os.environ.get("OPSGATE_FUZZ_EXAMPLES", "100")),
    deadline=timedelta(seconds=5), database=None, suppress_health_check=[HealthCheck.too_slow],
)
ENVIRONMENT = {"TOKEN": "tok-fuzz-123", "HOST": "127.0.0.1"}


def models() -> list[type[Strict]]:
    found, pending = [], [Strict]
    while pending:
        model = pending.pop()
        found.append(model)
        pending.extend(model.__subclasses__())
    return found


# Every key a profile knows, as the user writes it (aliases included).
KEYS = sorted({field.alias or name for model in models() for name, field in model.model_fields.items()})
# The target sections and the model of their items (`secrets:` is a list of names, not targets).
SECTIONS = {name: typing.get_args(field.annotation)[0] for name, field in Profile.model_fields.items()
            if typing.get_origin(field.annotation) is list and name != "secrets"}
# Values that have broken loaders: units, limits, ports, interpolation, odd numbers.
HOSTILE = [
    "10s", "500ms", "0", "-1", "1000000d", "1e999", ".nan", "nan", "inf", "80%", "-5%", "2xx", "200",
    "http://127.0.0.1:0/", "http://127.0.0.1:70000/", "https://[::1/", "redis://:p%40w@127.0.0.1:1/0",
    "postgresql://127.0.0.1:5432/x", "${TOKEN}", "${UNSET_VAR}", "${HOST:-x}", "$$", "${", "baseline",
    "(unclosed", "a{b=\"c\"}", "smoke", "warn", "crit", "TLSv1", "ratio", "percent", "ms", "GET",
]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.sampled_from([10**400, -(10**400)]), st.floats(),
    st.text(max_size=20), st.sampled_from(HOSTILE),
)
keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=8))
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=20,
)


def target_of(model: type[Strict]) -> st.SearchStrategy[dict[str, Any]]:
    """A target of `model`'s section: a name, and any of its real keys with hostile values."""
    optional = {field.alias or name: values for name, field in model.model_fields.items()
                if name != "name"}
    return st.fixed_dictionaries({"name": st.sampled_from(["a", "b", "a"])}, optional=optional)


# One section per document keeps generation cheap; many examples cover every section.
profiles = st.sampled_from(sorted(SECTIONS)).flatmap(lambda section: st.fixed_dictionaries(
    {"name": st.one_of(st.just("fuzz"), scalars),
     section: st.lists(target_of(SECTIONS[section]), min_size=1, max_size=2)},
    optional={"defaults": values, "secrets": st.one_of(st.just(["TOKEN"]), values)},
))


def loads_or_refuses(text: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "fuzz.yaml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
        try:
            profile, _ = load_profile(path, environ=ENVIRONMENT)
        except ProfileError as refused:
            assert str(refused).startswith(f"{path}") or "no profile" in str(refused)
        else:
            assert isinstance(profile, Profile)


@FUZZ
@given(st.binary(max_size=2000))
def test_any_bytes(data: bytes) -> None:
    loads_or_refuses(data)


@FUZZ
@given(st.text(alphabet=":-[]{}&*!|>'\"#\n ,?%@`$.0123456789abcnx<=\t\\", max_size=300))
def test_any_yaml_like_text(text: str) -> None:
    loads_or_refuses(text)


@FUZZ
@given(values)
def test_any_yaml_document(document: Any) -> None:
    loads_or_refuses(yaml.safe_dump(document))


@FUZZ
@given(profiles)
def test_any_profile_shaped_document(document: dict[str, Any]) -> None:
    loads_or_refuses(yaml.safe_dump(document))
