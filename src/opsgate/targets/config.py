"""Profile model of `config:` targets: required settings present, an env file against its example, shapes."""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, field_validator, model_validator

from opsgate.jsonpath import parse_path
from opsgate.targets import Strict
from opsgate.targets._connection import Connected
from opsgate.targets._validate import exactly_one, valid_regex

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Shape(Strict):
    """What a value must look like, judged without printing it: `url`, `integer`, `number`, `boolean`,
    `email` or `nonempty`, with URL schemes, a numeric range or a regex."""

    type: Literal["url", "integer", "number", "boolean", "email", "nonempty"] = "nonempty"
    schemes: list[str] = []
    min: float | None = None
    max: float | None = None
    matches: str | None = None

    _valid_matches = field_validator("matches")(lambda cls, v: v and valid_regex(v))

    @model_validator(mode="after")
    def _fits_type(self) -> Shape:
        if self.schemes and self.type != "url":
            raise ValueError("'schemes' applies to type 'url'")
        if (self.min is not None or self.max is not None) and self.type not in ("integer", "number"):
            raise ValueError("'min' and 'max' apply to types 'integer' and 'number'")
        return self


def _shape(value: Any) -> Any:
    return {"type": value} if isinstance(value, str) else value


ShapeSpec = Annotated[Shape, BeforeValidator(_shape)]


class ConfigTarget(Connected):
    """One source of settings: the environment, an env file (against its example) or a JSON/YAML/TOML file.

    Values are read to judge their shape and never printed: messages name keys only.
    """

    kind: ClassVar[str] = "config"
    default_suites: ClassVar[tuple[str, ...]] = ("smoke", "daily")

    env: list[str] | None = None
    env_file: str | None = None
    example: str | None = None
    file: str | None = None
    format: Literal["json", "yaml", "toml"] | None = None
    keys: list[str] = []
    shapes: dict[str, ShapeSpec] = {}

    @field_validator("env")
    @classmethod
    def _env_names(cls, names: list[str] | None) -> list[str] | None:
        for name in names or ():
            if not _ENV_NAME.match(name):
                raise ValueError(f"expected environment variable names such as 'DATABASE_URL', got {name!r}")
        return names

    @model_validator(mode="after")
    def _one_source(self) -> ConfigTarget:
        exactly_one(self, ("env", "env_file", "file"), "'env' (names), 'env_file' or 'file'")
        if self.example is not None and self.env_file is None:
            raise ValueError("'example' is the env file's template: it needs 'env_file'")
        if self.env is not None and self.keys:
            raise ValueError("with 'env', the names listed are the required keys: drop 'keys'")
        if self.format is not None and self.file is None:
            raise ValueError("'format' applies to 'file'")
        if self.file is not None:
            for key in [*self.keys, *self.shapes]:
                parse_path(key)
            if self.format is None and not self.file.endswith((".json", ".yaml", ".yml", ".toml")):
                raise ValueError(f"cannot tell the format of {self.file!r} from its name: add "
                                 "format: json, yaml or toml")
        return self

    @property
    def required(self) -> list[str]:
        """The keys that must be present and not empty."""
        return list(self.env) if self.env is not None else list(self.keys)

    @property
    def file_format(self) -> str:
        assert self.file is not None
        if self.format:
            return self.format
        return "yaml" if self.file.endswith(".yml") else self.file.rsplit(".", 1)[-1]

    @property
    def source(self) -> str:
        """The source as messages name it."""
        where = "" if self.scheme == "local" else f" on {self.connection}"
        if self.env is not None:
            return f"the environment{where or ' of the run'}"
        return f"{self.env_file or self.file}{where}"
