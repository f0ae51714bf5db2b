"""The profile's JSON Schema, from the pydantic models: for editors and for validating profiles.

Editors read the YAML as written, before `${VAR}` interpolation, so wherever a number or a
boolean goes the schema also accepts a `${VAR}` string.
"""

from __future__ import annotations

from typing import Any

SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"
_VARIABLE = {"type": "string", "pattern": r"\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}",
             "description": "an environment variable, interpolated when the profile is loaded"}
_NOT_STRINGS = {"integer", "number", "boolean"}
_ANNOTATIONS = ("title", "default", "description")


def profile_schema() -> dict[str, Any]:
    from opsgate.profile import Profile

    schema = Profile.model_json_schema(mode="validation")
    _accept_variables(schema)
    return {"$schema": SCHEMA_URI, **schema, "title": "opsgate profile"}


def _accept_variables(node: Any) -> None:
    if isinstance(node, list):
        for child in node:
            _accept_variables(child)
        return
    if not isinstance(node, dict):
        return
    for child in node.values():
        _accept_variables(child)
    kind = node.get("type")  # (in "properties", a key named "type" maps to a schema instead)
    if isinstance(kind, str) and kind in _NOT_STRINGS:
        typed = {key: node.pop(key) for key in list(node) if key not in _ANNOTATIONS}
        node["anyOf"] = [typed, _VARIABLE]
