"""Profile model of `databases:` targets: PostgreSQL or MySQL/MariaDB, chosen by URL scheme."""

from __future__ import annotations

import re
from typing import ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from opsgate.targets import Strict, Target
from opsgate.targets._urls import checked_url, endpoint
from opsgate.units import (
    DurationThreshold,
    NumberFloor,
    NumberThreshold,
    RatioThreshold,
    SizeThreshold,
    Threshold,
)

POSTGRES_SCHEMES = ("postgresql", "postgres")
MYSQL_SCHEMES = ("mysql", "mariadb")
Engine = Literal["postgresql", "mysql"]
_READ_ONLY_START = re.compile(r"^\s*(select|with|show|values|table|explain)\b", re.IGNORECASE)


class CustomQuery(Strict):
    """A business check: a read-only SQL query returning one number, with bounds."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.:/@-]*$")
    query: str
    min: NumberFloor | None = None
    max: NumberThreshold | None = None

    @field_validator("query")
    @classmethod
    def _reads_only(cls, query: str) -> str:
        if not _READ_ONLY_START.match(query):
            raise ValueError(
                "expected a read-only query starting with SELECT, WITH, SHOW, VALUES, TABLE or EXPLAIN"
            )
        return query

    @model_validator(mode="after")
    def _bounded(self) -> CustomQuery:
        if self.min is None and self.max is None:
            raise ValueError(f"query {self.name!r} needs 'min', 'max' or both, or it cannot fail")
        return self


class DatabaseTarget(Target):
    """One SQL server: connection saturation, stuck sessions, slow statements, sizes, lag."""

    kind: ClassVar[str] = "database"
    default_suites: ClassVar[tuple[str, ...]] = ("smoke", "daily")

    url: str
    connection_ratio: RatioThreshold | None = Threshold(warn=0.8, crit=0.95)
    idle_in_transaction: DurationThreshold | None = Threshold(warn=60.0, crit=600.0)
    longest_query: DurationThreshold | None = Threshold(warn=60.0, crit=600.0)
    replication_lag: DurationThreshold | None = Threshold(warn=5.0, crit=30.0)
    table_size_max: SizeThreshold | None = None
    largest_tables: int = Field(default=5, ge=1, le=100)
    slow_statement_mean: DurationThreshold | None = None
    slow_statement_min_calls: int = Field(default=10, ge=1)
    queries: list[CustomQuery] = []

    _url = field_validator("url")(
        lambda cls, v: checked_url(v, POSTGRES_SCHEMES + MYSQL_SCHEMES, "PostgreSQL or MySQL/MariaDB")
    )

    @model_validator(mode="after")
    def _unique_queries(self) -> DatabaseTarget:
        names = [q.name for q in self.queries]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate query name(s): {', '.join(duplicates)}")
        return self

    @property
    def engine(self) -> Engine:
        return "postgresql" if urlsplit(self.url).scheme in POSTGRES_SCHEMES else "mysql"

    @property
    def host_key(self) -> str:
        return endpoint(self.url)
