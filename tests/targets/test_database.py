"""The `databases:` target model: defaults, the engine a URL names, custom queries that can fail."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from opsgate.targets.database import CustomQuery, DatabaseTarget
from opsgate.units import Threshold


def database(**keys: Any) -> DatabaseTarget:
    return DatabaseTarget.model_validate({"name": "db", "url": "postgresql://127.0.0.1/app", **keys})


def test_defaults() -> None:
    target = database()
    assert target.connection_ratio == Threshold(warn=0.8, crit=0.95)
    assert target.idle_in_transaction == Threshold(warn=60.0, crit=600.0)
    assert target.longest_query == Threshold(warn=60.0, crit=600.0)
    assert target.replication_lag == Threshold(warn=5.0, crit=30.0)
    assert (target.table_size_max, target.largest_tables, target.slow_statement_mean) == (None, 5, None)
    assert (target.slow_statement_min_calls, target.queries) == (10, [])
    assert target.effective_suites == ("smoke", "daily")
    assert target.host_key == "127.0.0.1:5432"


@pytest.mark.parametrize(("url", "engine"), [
    ("postgresql://db/app", "postgresql"), ("postgres://db/app", "postgresql"),
    ("mysql://db/app", "mysql"), ("mariadb://db/app", "mysql"),
])
def test_the_engine_follows_the_url_scheme(url: str, engine: str) -> None:
    assert database(url=url).engine == engine


@pytest.mark.parametrize(("keys", "valid"), [
    ({"largest_tables": 1}, True), ({"largest_tables": 100}, True), ({"largest_tables": 0}, False),
    ({"largest_tables": 101}, False), ({"slow_statement_min_calls": 1}, True),
    ({"slow_statement_min_calls": 0}, False),
])
def test_ranges(keys: dict[str, int], valid: bool) -> None:
    if valid:
        assert database(**keys)
    else:
        with pytest.raises(ValidationError, match=next(iter(keys))):
            database(**keys)


@pytest.mark.parametrize("query", [
    "SELECT count(*) FROM orders", "  with x as (select 1) select * from x", "SHOW max_connections",
    "VALUES (1)", "TABLE t", "explain select 1",
])
def test_read_only_queries(query: str) -> None:
    assert CustomQuery(name="q", query=query, max=1).query == query


@pytest.mark.parametrize("query", ["DELETE FROM orders", "selectx 1", "UPDATE t SET a = 1; SELECT 1"])
def test_a_query_that_may_write_is_refused(query: str) -> None:
    with pytest.raises(ValidationError, match="expected a read-only query starting with SELECT, WITH, SHOW, "
                                              "VALUES, TABLE or EXPLAIN"):
        CustomQuery(name="q", query=query, max=1)


def test_a_query_needs_a_bound() -> None:
    with pytest.raises(ValidationError, match="query 'orders' needs 'min', 'max' or both, or it cannot fail"):
        CustomQuery(name="orders", query="SELECT 1")
    assert CustomQuery(name="orders", query="SELECT 1", min=1).min == Threshold(crit=1)


def test_query_names_are_unique() -> None:
    queries = [{"name": n, "query": "SELECT 1", "max": 1} for n in ("b", "a", "b", "a", "c")]
    with pytest.raises(ValidationError, match="duplicate query name\\(s\\): a, b"):
        database(queries=queries)
    assert [q.name for q in database(queries=queries[:2]).queries] == ["b", "a"]
