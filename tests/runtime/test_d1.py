"""The D1 binding: migrations as wrangler applies them, D1's statement API, batches, threads, files."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from workerflow_kit.runtime.bindings.d1 import (
    D1Database,
    D1Error,
    D1MigrationError,
    default_migrations_dir,
    split_sql_statements,
)

T = TypeVar("T")

INSERT_RUN = "INSERT INTO runs (trace_id, kind, route_path, schedule_id, status, started_at) VALUES (?, ?, ?, ?, ?, ?)"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@pytest.fixture
def db() -> Iterator[D1Database]:
    database = D1Database.open()
    yield database
    database.close()


def write_migration(folder: Path, name: str, sql: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(sql, encoding="utf-8")


# ---------------------------------------------------------------------------------------------- migrations


def test_open_applies_the_bundled_migrations_in_order(db: D1Database) -> None:
    assert db.path == ":memory:"
    assert db.applied_migrations == ["0001_init.sql", "0002_replay_lineage.sql"]
    assert set(db.tables()) >= {
        "runs",
        "idempotency_keys",
        "cursor_state",
        "dead_letters",
        "replay_lineage",
        "d1_migrations",
    }
    rows = db.query("SELECT id, name, applied_at FROM d1_migrations ORDER BY id")
    assert [r["name"] for r in rows] == ["0001_init.sql", "0002_replay_lineage.sql"]
    assert all(r["applied_at"] for r in rows)


def test_default_migrations_dir_is_the_contract_folder() -> None:
    names = sorted(p.name for p in default_migrations_dir().glob("*.sql"))
    assert names[:2] == ["0001_init.sql", "0002_replay_lineage.sql"]


def test_foreign_keys_are_enforced_like_d1(db: D1Database) -> None:
    assert db.query("PRAGMA foreign_keys") == [{"foreign_keys": 1}]


def test_reopening_a_file_never_reapplies_a_migration(tmp_path: Path) -> None:
    migrations = tmp_path / "migrations"
    write_migration(migrations, "0001_a.sql", "CREATE TABLE a (x INTEGER);")
    path = tmp_path / "state.sqlite"
    with D1Database.open(path, migrations) as first:
        assert first.applied_migrations == ["0001_a.sql"]
        first.query("INSERT INTO a (x) VALUES (1)")
    # Not idempotent SQL: re-applying it would fail.
    write_migration(migrations, "0002_b.sql", "CREATE TABLE b (y TEXT);")
    with D1Database.open(str(path), migrations) as second:
        assert second.applied_migrations == ["0002_b.sql"]
        assert second.query("SELECT x FROM a") == [{"x": 1}]
    with D1Database.open(path, migrations) as third:
        assert third.applied_migrations == []
        assert [r["name"] for r in third.query("SELECT name FROM d1_migrations ORDER BY id")] == [
            "0001_a.sql",
            "0002_b.sql",
        ]


def test_migrations_apply_sorted_by_name_and_ignore_other_files(tmp_path: Path) -> None:
    write_migration(tmp_path, "0002_second.sql", "INSERT INTO log (step) VALUES ('second');")
    write_migration(tmp_path, "0001_first.sql", "CREATE TABLE log (step TEXT);\nINSERT INTO log VALUES ('first');")
    write_migration(tmp_path, "README.md", "not sql")
    with D1Database.open(migrations_dir=tmp_path) as db:
        assert db.applied_migrations == ["0001_first.sql", "0002_second.sql"]
        assert db.query("SELECT step FROM log ORDER BY rowid") == [{"step": "first"}, {"step": "second"}]


def test_a_failing_migration_names_the_file_and_rolls_back(tmp_path: Path) -> None:
    migrations = tmp_path / "m"
    write_migration(migrations, "0001_ok.sql", "CREATE TABLE ok (x INTEGER);")
    write_migration(
        migrations,
        "0002_broken.sql",
        "CREATE TABLE half (x INTEGER);\nINSERT INTO ok (x) VALUES (1);\nCREATE TABLE oops (;",
    )
    write_migration(migrations, "0003_later.sql", "CREATE TABLE later (x INTEGER);")
    path = tmp_path / "db.sqlite"
    with pytest.raises(D1MigrationError, match=r"0002_broken\.sql") as caught:
        D1Database.open(path, migrations)
    assert caught.value.migration == "0002_broken.sql"
    conn = sqlite3.connect(path)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "ok" in tables
        assert "half" not in tables
        assert "later" not in tables
        assert conn.execute("SELECT count(*) FROM ok").fetchone() == (0,)
        names = [r[0] for r in conn.execute("SELECT name FROM d1_migrations")]
        assert names == ["0001_ok.sql"]
    finally:
        conn.close()


def test_missing_migrations_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(D1MigrationError, match="no such folder"):
        D1Database.open(migrations_dir=tmp_path / "nope")


# ---------------------------------------------------------------------------------------------- statements


def test_run_reports_changes_and_last_row_id(db: D1Database) -> None:
    stmt = db.prepare(INSERT_RUN)
    result = run(stmt.bind("t1", "http_route", "a", None, "started", "2026-01-01T00:00:00.000Z").run())
    assert result.success is True
    assert result.meta.changes == 1
    assert result.meta.last_row_id == 1
    assert result.meta.changed_db is True
    assert result.results == []
    second = run(stmt.bind("t2", "cron", None, "s", "started", "2026-01-01T00:00:01.000Z").run())
    assert second.meta.last_row_id == 2
    update = run(db.prepare("UPDATE runs SET status = ?").bind("failed").run())
    assert update.meta.changes == 2
    select = run(db.prepare("SELECT * FROM runs").all())
    assert select.meta.changes == 0
    assert select.meta.changed_db is False


def test_all_returns_dict_rows_in_column_order(db: D1Database) -> None:
    db.query(INSERT_RUN, "t1", "http_route", "a", None, "started", "2026-01-01T00:00:00.000Z")
    result = run(db.prepare("SELECT status, trace_id, id, schedule_id FROM runs").all())
    assert result.results == [{"status": "started", "trace_id": "t1", "id": 1, "schedule_id": None}]
    assert list(result.results[0]) == ["status", "trace_id", "id", "schedule_id"]


def test_first_returns_a_row_a_column_or_none(db: D1Database) -> None:
    db.query(INSERT_RUN, "t1", "http_route", "a", None, "started", "2026-01-01T00:00:00.000Z")
    db.query(INSERT_RUN, "t2", "http_route", "b", None, "started", "2026-01-01T00:00:01.000Z")
    stmt = db.prepare("SELECT trace_id, route_path FROM runs ORDER BY id")
    assert run(stmt.first()) == {"trace_id": "t1", "route_path": "a"}
    assert run(stmt.first("route_path")) == "a"
    count = db.prepare("SELECT count(*) AS n FROM runs WHERE status = ?")
    assert run(count.bind("started").first("n")) == 2
    assert run(db.prepare("SELECT * FROM runs WHERE trace_id = ?").bind("nope").first()) is None
    assert run(db.prepare("SELECT * FROM runs WHERE trace_id = ?").bind("nope").first("id")) is None
    with pytest.raises(D1Error, match="D1_COLUMN_NOTFOUND"):
        run(stmt.first("missing"))


def test_first_on_insert_returning(db: D1Database) -> None:
    stmt = db.prepare("INSERT INTO idempotency_keys (trace_id, created_at) VALUES (?, ?) RETURNING trace_id")
    assert run(stmt.bind("k", "2026-01-01T00:00:00.000Z").first("trace_id")) == "k"
    assert db.query("SELECT trace_id FROM idempotency_keys") == [{"trace_id": "k"}]


def test_raw_rows(db: D1Database) -> None:
    db.query("INSERT INTO cursor_state VALUES (?, ?, ?)", "k", "v", "now")
    stmt = db.prepare("SELECT key, value FROM cursor_state")
    assert run(stmt.raw()) == [["k", "v"]]
    assert run(stmt.raw(column_names=True)) == [["key", "value"], ["k", "v"]]


def test_bind_returns_a_new_statement(db: D1Database) -> None:
    base = db.prepare("SELECT ? AS v")
    a = base.bind(1)
    b = base.bind("x")
    assert run(a.first("v")) == 1
    assert run(b.first("v")) == "x"
    assert base.params == ()
    assert a.sql == "SELECT ? AS v"


def test_numbered_parameters(db: D1Database) -> None:
    assert run(db.prepare("SELECT ?2 AS b, ?1 AS a").bind("one", "two").first()) == {"b": "two", "a": "one"}


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        (None, None),
        (True, 1),
        (False, 0),
        (7, 7),
        (-(2**63), -(2**63)),
        (1.5, 1.5),
        ("text", "text"),
        (b"\x00\x01", b"\x00\x01"),
        (bytearray(b"ab"), b"ab"),
        (memoryview(b"cd"), b"cd"),
    ],
)
def test_bind_accepts_d1_types(db: D1Database, value: object, stored: object) -> None:
    got = run(db.prepare("SELECT ? AS v").bind(value).first("v"))
    assert got == stored
    assert type(got) is type(stored)


@pytest.mark.parametrize("value", [{"a": 1}, [1], object(), 2**63, (1, 2)])
def test_bind_rejects_other_types(db: D1Database, value: object) -> None:
    with pytest.raises(TypeError, match="D1_TYPE_ERROR"):
        db.prepare("SELECT ?").bind(value)


def test_sqlite_errors_use_d1_message_form(db: D1Database) -> None:
    db.query("INSERT INTO idempotency_keys VALUES (?, ?)", "k", "now")
    with pytest.raises(D1Error, match=r"^D1_ERROR: UNIQUE constraint failed: idempotency_keys\.trace_id"):
        run(db.prepare("INSERT INTO idempotency_keys VALUES (?, ?)").bind("k", "now").run())
    with pytest.raises(D1Error, match="no such table"):
        run(db.prepare("SELECT * FROM missing_table").all())


def test_insert_or_ignore_reports_no_change(db: D1Database) -> None:
    stmt = db.prepare("INSERT OR IGNORE INTO idempotency_keys (trace_id, created_at) VALUES (?, ?)")
    assert run(stmt.bind("k", "now").run()).meta.changes == 1
    assert run(stmt.bind("k", "later").run()).meta.changes == 0


# ---------------------------------------------------------------------------------------------- batch and exec


def test_batch_runs_in_order_and_returns_each_result(db: D1Database) -> None:
    insert = db.prepare("INSERT INTO idempotency_keys VALUES (?, ?)")
    results = run(
        db.batch([insert.bind("a", "1"), insert.bind("b", "2"), db.prepare("SELECT trace_id FROM idempotency_keys")])
    )
    assert [r.meta.changes for r in results] == [1, 1, 0]
    assert results[2].results == [{"trace_id": "a"}, {"trace_id": "b"}]


def test_batch_is_atomic(db: D1Database) -> None:
    insert = db.prepare("INSERT INTO idempotency_keys VALUES (?, ?)")
    db.query("INSERT INTO idempotency_keys VALUES (?, ?)", "dup", "0")
    with pytest.raises(D1Error, match="UNIQUE"):
        run(db.batch([insert.bind("fresh", "1"), insert.bind("dup", "2")]))
    assert db.query("SELECT trace_id FROM idempotency_keys") == [{"trace_id": "dup"}]
    # The connection is usable afterwards (no transaction left open).
    run(insert.bind("after", "3").run())
    assert len(db.query("SELECT * FROM idempotency_keys")) == 2


def test_batch_rejects_foreign_statements(db: D1Database) -> None:
    with D1Database.open() as other, pytest.raises(TypeError, match="this database"):
        run(db.batch([other.prepare("SELECT 1")]))
    assert run(db.batch([])) == []


def test_exec_runs_several_statements(db: D1Database) -> None:
    result = run(
        db.exec(
            "CREATE TABLE x (v TEXT);\n"
            "INSERT INTO x VALUES ('a;b'); -- comment; with semicolon\n"
            "INSERT INTO x VALUES ('c')"
        )
    )
    assert result.count == 3
    assert db.query("SELECT v FROM x") == [{"v": "a;b"}, {"v": "c"}]
    with pytest.raises(D1Error):
        run(db.exec("SELECT * FROM missing_table;"))


def test_split_sql_statements() -> None:
    script = """
    -- header; comment
    CREATE TABLE t (v TEXT); /* block; comment */
    INSERT INTO t VALUES ('x;y');
    CREATE TRIGGER trg AFTER INSERT ON t BEGIN
      INSERT INTO t VALUES ('z');
    END;
    -- trailing comment
    """
    statements = split_sql_statements(script)
    assert len(statements) == 3
    assert statements[0].endswith("CREATE TABLE t (v TEXT);")
    assert statements[1].startswith("/* block; comment */")
    assert statements[2].startswith("CREATE TRIGGER")
    assert statements[2].endswith("END;")
    assert split_sql_statements("SELECT 1") == ["SELECT 1"]
    assert split_sql_statements("  \n-- nothing\n") == []


def test_closed_database_raises(tmp_path: Path) -> None:
    db = D1Database.open()
    db.close()
    db.close()
    with pytest.raises(D1Error, match="closed"):
        db.query("SELECT 1")


# ---------------------------------------------------------------------------------------------- sharing


def test_file_database_uses_wal_and_shares_the_file(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    with D1Database.open(path) as db:
        assert db.query("PRAGMA journal_mode") == [{"journal_mode": "wal"}]
        assert db.query("PRAGMA busy_timeout")[0]["timeout"] >= 1000
        db.query("INSERT INTO idempotency_keys VALUES (?, ?)", "a", "now")
        other = sqlite3.connect(path, timeout=5)
        try:
            assert other.execute("SELECT trace_id FROM idempotency_keys").fetchall() == [("a",)]
            other.execute("INSERT INTO idempotency_keys VALUES ('b', 'now')")
            other.commit()
        finally:
            other.close()
        assert len(db.query("SELECT * FROM idempotency_keys")) == 2


def test_concurrent_tasks_and_threads(db: D1Database) -> None:
    insert = db.prepare("INSERT INTO idempotency_keys VALUES (?, ?)")

    async def writer(prefix: str, count: int) -> None:
        for i in range(count):
            await insert.bind(f"{prefix}-{i}", "now").run()
            await asyncio.sleep(0)

    async def many(prefix: str) -> None:
        await asyncio.gather(*(writer(f"{prefix}-{n}", 50) for n in range(5)))

    errors: list[BaseException] = []

    def thread_main(prefix: str) -> None:
        try:
            asyncio.run(many(prefix))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=thread_main, args=(f"t{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    run(many("main"))
    for thread in threads:
        thread.join()
    assert errors == []
    assert db.query("SELECT count(*) AS n FROM idempotency_keys") == [{"n": 5 * 5 * 50}]


def test_statement_throughput_smoke(db: D1Database) -> None:
    """Four statements per simulated request; far above the runtime's 2,000 requests/s target."""
    start_stmt = db.prepare(INSERT_RUN)
    idem = db.prepare("INSERT OR IGNORE INTO idempotency_keys (trace_id, created_at) VALUES (?, ?)")
    seen = db.prepare("SELECT trace_id FROM idempotency_keys WHERE trace_id = ?")
    finish = db.prepare("UPDATE runs SET status = 'succeeded', finished_at = ?, output = ? WHERE trace_id = ?")

    async def requests(n: int) -> None:
        for i in range(n):
            trace = f"trace-{i}"
            await seen.bind(trace).first()
            await idem.bind(trace, "2026-01-01T00:00:00.000Z").run()
            await start_stmt.bind(trace, "http_route", "r", None, "started", "2026-01-01T00:00:00.000Z").run()
            await finish.bind("2026-01-01T00:00:01.000Z", '{"ok":true}', trace).run()

    n = 2000
    started = time.perf_counter()
    run(requests(n))
    elapsed = time.perf_counter() - started
    assert db.query("SELECT count(*) AS n FROM runs WHERE status = 'succeeded'") == [{"n": n}]
    # Generous bound so slow CI machines pass: 2,000 four-statement requests in under 4 s.
    assert elapsed < 4.0


def test_read_query_reads_and_refuses_everything_else(db: D1Database, tmp_path: Path) -> None:
    db.query(
        "INSERT INTO runs (trace_id, kind, route_path, status, started_at) VALUES ('t', 'http_route', 'r', 'x', 'n')"
    )
    assert db.read_query("WITH n AS (SELECT count(*) AS c FROM runs) SELECT upper('ok') AS s, c FROM n") == [
        {"s": "OK", "c": 1}
    ]
    refused = [
        "DELETE FROM runs",
        "INSERT INTO runs (trace_id, kind, status, started_at) VALUES ('u', 'k', 's', 'n')",
        f"ATTACH DATABASE '{tmp_path / 'other.db'}' AS other",
        "PRAGMA foreign_keys = OFF",
        f"VACUUM INTO '{tmp_path / 'copy.db'}'",
    ]
    for sql in refused:
        with pytest.raises(D1Error, match="SQLITE_AUTH"):
            db.read_query(sql)
    assert list(tmp_path.iterdir()) == []  # nothing was created on disk
    assert db.query("PRAGMA foreign_keys") == [{"foreign_keys": 1}]
    assert len(db.query("SELECT * FROM runs")) == 1
    db.query("DELETE FROM runs")  # the authorizer is gone once read_query returns
