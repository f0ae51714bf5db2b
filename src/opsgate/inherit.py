"""`extends:`: a profile built on another one, overriding its targets by name.

Staging says `extends: production.yaml` (a path relative to its own file) and lists only what
differs. The merge, on the YAML before `${VAR}` interpolation and validation:

- mappings merge key by key (`defaults`, a target's `expect`, thresholds); lists and scalars of
  the extending profile replace the base's;
- a target section (`http`, `tls`, ...) merges by target `name`: an entry naming a base target
  overrides its keys (URL, thresholds, suites), `remove: true` drops it, a new name is added;
- `secrets` is the union of both lists, so a base's secret stays masked.

A base may extend another; a cycle is an error.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

Read = Callable[[Path], dict[str, Any]]


class InheritError(Exception):
    """`extends:` that cannot be followed; the message names the file and the key."""


def read_extended(path: Path, read: Read, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The profile at `path` merged over the profiles it extends (read with `read`)."""
    raw = read(path)
    base_name = raw.pop("extends", None)
    if base_name is None:
        return raw
    if not isinstance(base_name, str) or not base_name:
        raise InheritError(f"{path}: extends: expected the path of a profile file such as "
                           f"production.yaml, got {base_name!r}")
    base_path = (path.parent / base_name).resolve()
    chain = (*seen, path.resolve())
    if base_path in chain:
        raise InheritError(f"{path}: extends: {base_path} extends it again (a cycle: "
                           + " -> ".join(p.name for p in (*chain, base_path)) + ")")
    if not base_path.is_file():
        raise InheritError(f"{path}: extends: {base_path} does not exist")
    return merge(read_extended(base_path, read, chain), raw, path)


def merge(base: dict[str, Any], child: dict[str, Any], path: Path, where: str = "") -> dict[str, Any]:
    """`child` over `base` (see the module docs); neither is changed."""
    result = dict(base)
    for key, value in child.items():
        old = base.get(key)
        at = f"{where}.{key}" if where else str(key)
        if key == "secrets" and not where and isinstance(old, list) and isinstance(value, list):
            result[key] = [*old, *(name for name in value if name not in old)]
        elif isinstance(old, dict) and isinstance(value, dict):
            result[key] = merge(old, value, path, at)
        elif _is_targets(old) and isinstance(value, list):
            result[key] = _merge_targets(old, value, path, at)
        else:
            result[key] = value
    return result


def _is_targets(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(
        isinstance(item, dict) and "name" in item for item in value)


def _merge_targets(base: list[dict[str, Any]], child: list[Any], path: Path,
                   section: str) -> list[dict[str, Any]]:
    merged = {target["name"]: target for target in base}  # dicts keep the base's order
    for index, entry in enumerate(child):
        name = entry.get("name") if isinstance(entry, dict) else None
        if entry == {"name": name, "remove": True}:
            if name not in merged:
                raise InheritError(f"{path}: {section}[{index}]: removes {name!r}, which the "
                                   f"extended profile does not have (it has: {', '.join(merged)})")
            del merged[name]
        elif name in merged:
            merged[name] = merge(merged[name], entry, path, f"{section}[{index}]")
        else:
            merged[str(name) if name is not None else f"#{index}"] = entry
    return list(merged.values())


def show(path: Path) -> str:
    """The merged, interpolated and validated profile as YAML, secrets masked."""
    import yaml

    from opsgate.profile import load_profile

    profile, redactor = load_profile(path)
    data = profile.model_dump(mode="json", by_alias=True, exclude_unset=True)
    # The names of the secrets are not secret (the redactor masks them as values of `secrets:`).
    names = {"secrets": data.pop("secrets")} if "secrets" in data else {}
    return (yaml.safe_dump(names, sort_keys=False) if names else "") + redactor.redact(
        yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
