"""A Cloudflare D1 binding over real SQLite.

The workers talk to the database exactly as upstream does with D1::

    row = await env.DB.prepare("SELECT status FROM runs WHERE trace_id = ?").bind(trace_id).first()
    await env.DB.batch([stmt_a, stmt_b])

Underneath is one stdlib :mod:`sqlite3` connection in autocommit mode. The database applies the
migrations the way ``wrangler d1 migrations apply`` does: every ``*.sql`` file of the migrations folder,
sorted by name, each in its own transaction, with the applied names recorded in a ``d1_migrations`` table
so that reopening a file never applies a migration twice.

Concurrency: the runtime calls the database from several asyncio tasks and from server threads. Each
statement (and each whole batch) runs while holding a :class:`threading.Lock`; nothing awaits while holding
it, and every statement runs to completion before the lock is released, so a statement never sees another
one half done.
A file database is opened in WAL mode with a busy timeout so that another connection (the queue's persistence)
can share the file.

Differences from D1 worth knowing:

* Values come back as Python values: ``int``, ``float``, ``str``, ``bytes`` (D1 returns BLOBs as arrays of
  numbers) and ``None``. Integers keep full 64-bit precision.
* :meth:`D1Database.exec` splits its input into complete SQL statements (D1 splits on new lines).
* Errors are raised as :class:`D1Error` with D1's ``D1_ERROR: <sqlite message>: SQLITE_<CODE>`` message form.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

from workerflow_kit.resources import contracts_dir

__all__ = [
    "D1Database",
    "D1Error",
    "D1ExecResult",
    "D1Meta",
    "D1MigrationError",
    "D1PreparedStatement",
    "D1Result",
    "D1Value",
    "default_migrations_dir",
    "split_sql_statements",
]

D1Value = None | int | float | str | bytes
"""A value SQLite stores and D1 accepts as a bind parameter (after conversion)."""

_MIGRATIONS_TABLE: Final = "d1_migrations"
_CREATE_MIGRATIONS_TABLE: Final = (
    f"CREATE TABLE IF NOT EXISTS {_MIGRATIONS_TABLE} ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " name TEXT UNIQUE,"
    " applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)"
)
_BUSY_TIMEOUT_MS: Final = 5000
_STATEMENT_CACHE_SIZE: Final = 512
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1


def default_migrations_dir() -> Path:
    """The D1 migrations the kit ships (``contracts/migrations/d1``)."""
    return contracts_dir() / "migrations" / "d1"


class D1Error(Exception):
    """A statement failed in SQLite. The message follows D1's ``D1_ERROR: …: SQLITE_<CODE>`` form."""

    def __init__(self, message: str, *, sqlite_errorname: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.sqlite_errorname = sqlite_errorname

    @classmethod
    def from_sqlite(cls, error: sqlite3.Error) -> D1Error:
        """Wrap a :mod:`sqlite3` error in D1's message form."""
        name: str | None = getattr(error, "sqlite_errorname", None)
        detail = str(error)
        message = f"D1_ERROR: {detail}: {name}" if name else f"D1_ERROR: {detail}"
        return cls(message, sqlite_errorname=name)


class D1MigrationError(D1Error):
    """A migration file failed; that migration was rolled back and none after it was applied."""

    def __init__(self, migration: str, path: Path, cause: BaseException) -> None:
        super().__init__(f"D1 migration {migration} failed ({path}): {cause}")
        self.migration = migration
        self.path = path


@dataclass(slots=True)
class D1Meta:
    """The ``meta`` of a D1 result: timing and what the statement changed."""

    duration: float = 0.0
    """Milliseconds spent in SQLite."""
    changes: int = 0
    """Rows inserted, updated or deleted by the statement (0 for a query)."""
    last_row_id: int = 0
    """The connection's last inserted rowid after the statement (SQLite's ``last_insert_rowid()``)."""
    changed_db: bool = False
    """Whether the statement changed the database."""


@dataclass(slots=True)
class D1Result:
    """What ``all()``, ``run()`` and each entry of ``batch()`` resolve to."""

    results: list[dict[str, Any]] = field(default_factory=list)
    """Rows as dicts whose keys follow the column order of the statement."""
    success: bool = True
    meta: D1Meta = field(default_factory=D1Meta)


@dataclass(slots=True, frozen=True)
class D1ExecResult:
    """What ``exec()`` resolves to: how many statements ran and how long they took (ms)."""

    count: int
    duration: float


def _bind_value(value: object) -> D1Value:
    """Convert one bind parameter the way D1 does, or raise :class:`TypeError`."""
    kind = type(value)
    if kind is str or kind is float or value is None or kind is bytes:
        return value  # type: ignore[return-value]
    if kind is int:
        if _INT64_MIN <= value <= _INT64_MAX:  # type: ignore[operator]
            return value  # type: ignore[return-value]
        raise TypeError(f"D1_TYPE_ERROR: integer {value} does not fit SQLite's 64-bit INTEGER")
    if kind is bool:
        return 1 if value else 0
    # Subclasses (IntEnum, StrEnum, …) and other byte buffers.
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, int):
        return _bind_value(int(value))
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise TypeError(
        f"D1_TYPE_ERROR: Type '{kind.__name__}' not supported for value {value!r}; "
        "D1 accepts None, bool, int, float, str and bytes"
    )


def split_sql_statements(script: str) -> list[str]:
    """Split an SQL script into complete statements.

    Semicolons inside strings, comments or trigger bodies do not split.

    Blank and comment-only trailing text is dropped; a last statement without a semicolon is kept.
    """
    statements: list[str] = []
    pieces = script.split(";")
    buffer = ""
    for index, piece in enumerate(pieces):
        is_last = index == len(pieces) - 1
        buffer += piece if is_last else piece + ";"
        if not is_last and sqlite3.complete_statement(buffer):
            text = buffer.strip()
            if text.strip(";").strip():
                statements.append(text)
            buffer = ""
    if buffer.strip() and _has_code(buffer):
        statements.append(buffer.strip())
    return statements


def _has_code(text: str) -> bool:
    """Whether ``text`` (a trailing fragment without a semicolon) holds anything besides comments."""
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        if char.isspace():
            index += 1
        elif text.startswith("--", index):
            newline = text.find("\n", index)
            index = length if newline < 0 else newline + 1
        elif text.startswith("/*", index):
            end = text.find("*/", index + 2)
            index = length if end < 0 else end + 2
        else:
            return True
    return False


class D1PreparedStatement:
    """A prepared statement, optionally with bound parameters (D1's ``D1PreparedStatement``).

    ``bind`` returns a new statement, so one prepared statement can be reused with different parameters.
    SQLite's own statement cache keeps the compiled SQL, so preparing the same text again is cheap.
    """

    __slots__ = ("_db", "_params", "_sql")

    def __init__(self, db: D1Database, sql: str, params: tuple[D1Value, ...] = ()) -> None:
        self._db = db
        self._sql = sql
        self._params = params

    @property
    def sql(self) -> str:
        """The statement's SQL text."""
        return self._sql

    @property
    def params(self) -> tuple[D1Value, ...]:
        """The bound parameters (after D1's conversions)."""
        return self._params

    def bind(self, *values: object) -> D1PreparedStatement:
        """Bind positional parameters (``?`` or ``?NNN``).

        Booleans become 1/0; types D1 does not accept raise :class:`TypeError`.
        """
        return D1PreparedStatement(self._db, self._sql, tuple([_bind_value(v) for v in values]))

    async def first(self, column: str | None = None) -> Any:
        """The first row as a dict (``None`` when there is none), or that row's ``column`` value.

        Like D1, naming a column the result does not have raises :class:`D1Error` (``D1_COLUMN_NOTFOUND``).
        """
        return self._db._first(self._sql, self._params, column)

    async def all(self) -> D1Result:
        """Run the statement and return every row plus ``meta``."""
        return self._db._execute(self._sql, self._params)

    async def run(self) -> D1Result:
        """Run the statement (as ``all()``: current D1 returns rows from ``run()`` too)."""
        return self._db._execute(self._sql, self._params)

    async def raw(self, *, column_names: bool = False) -> list[list[Any]]:
        """Rows as lists of values; with ``column_names`` the first list holds the column names."""
        return self._db._raw(self._sql, self._params, column_names)

    def __repr__(self) -> str:
        return f"D1PreparedStatement({self._sql!r}, params={self._params!r})"


class D1Database:
    """A D1 database binding over one SQLite connection. Create it with :meth:`open`."""

    def __init__(self, connection: sqlite3.Connection, *, path: str) -> None:
        """Wrap an open connection (autocommit mode expected). Prefer :meth:`open`."""
        self._conn = connection
        self._lock = threading.Lock()
        self._path = path
        self._applied: list[str] = []
        self._closed = False

    # -------------------- lifecycle

    @classmethod
    def open(cls, path: str | Path = ":memory:", migrations_dir: Path | None = None) -> D1Database:
        """Open (or create) a database and apply any migration not yet applied.

        ``path`` is ``":memory:"`` (the default: state lives as long as the object) or a file path
        (opened in WAL mode with a busy timeout so another connection can share the file).
        ``migrations_dir`` defaults to the kit's bundled D1 migrations. A failing migration raises
        :class:`D1MigrationError` naming the file; that migration is rolled back, earlier ones stay applied.
        """
        location = str(path)
        connection = sqlite3.connect(
            location,
            timeout=_BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
            cached_statements=_STATEMENT_CACHE_SIZE,
        )
        try:
            connection.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            if location != ":memory:":
                connection.execute("PRAGMA journal_mode = WAL")
                connection.execute("PRAGMA synchronous = NORMAL")
            # D1 enforces foreign keys on every connection.
            connection.execute("PRAGMA foreign_keys = ON")
            db = cls(connection, path=location)
            db.apply_migrations(default_migrations_dir() if migrations_dir is None else migrations_dir)
        except BaseException:
            connection.close()
            raise
        return db

    def close(self) -> None:
        """Close the connection. Further use raises :class:`D1Error`."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def path(self) -> str:
        """The location passed to :meth:`open` (``":memory:"`` or a file path)."""
        return self._path

    @property
    def applied_migrations(self) -> list[str]:
        """Names of the migrations this object applied when it opened (not those applied earlier)."""
        return list(self._applied)

    # -------------------- migrations

    def apply_migrations(self, migrations_dir: Path) -> list[str]:
        """Apply, in name order, each ``*.sql`` file of ``migrations_dir`` not yet recorded.

        Returns the names applied now.
        """
        if not migrations_dir.is_dir():
            raise D1MigrationError(migrations_dir.name, migrations_dir, FileNotFoundError("no such folder"))
        files = sorted((p for p in migrations_dir.iterdir() if p.suffix == ".sql" and p.is_file()), key=_name)
        applied_now: list[str] = []
        with self._lock:
            self._check_open()
            self._conn.execute(_CREATE_MIGRATIONS_TABLE)
            done = {row[0] for row in self._conn.execute(f"SELECT name FROM {_MIGRATIONS_TABLE}")}
            for migration in files:
                if migration.name in done:
                    continue
                self._apply_one(migration)
                applied_now.append(migration.name)
        self._applied.extend(applied_now)
        return applied_now

    def _apply_one(self, migration: Path) -> None:
        try:
            statements = split_sql_statements(migration.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise D1MigrationError(migration.name, migration, exc) from exc
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in statements:
                conn.execute(statement)
            conn.execute(f"INSERT INTO {_MIGRATIONS_TABLE} (name) VALUES (?)", (migration.name,))
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise D1MigrationError(migration.name, migration, exc) from exc
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # ----------------------------------------------------------------------------------------------- D1 API

    def prepare(self, sql: str) -> D1PreparedStatement:
        """Prepare a statement (D1's ``db.prepare(sql)``); bind parameters with ``.bind(...)``."""
        return D1PreparedStatement(self, sql)

    async def batch(self, statements: Sequence[D1PreparedStatement]) -> list[D1Result]:
        """Run statements in order inside one transaction; if any fails, none of them takes effect."""
        for statement in statements:
            if not isinstance(statement, D1PreparedStatement) or statement._db is not self:
                raise TypeError("D1 batch() takes statements prepared on this database")
        if not statements:
            return []
        with self._lock:
            self._check_open()
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise D1Error.from_sqlite(exc) from exc
            try:
                results = [self._execute_locked(s._sql, s._params) for s in statements]
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise D1Error.from_sqlite(exc) from exc
        return results

    async def exec(self, sql: str) -> D1ExecResult:
        """Run one or more statements without parameters (each in autocommit), returning how many ran."""
        statements = split_sql_statements(sql)
        started = time.perf_counter()
        with self._lock:
            self._check_open()
            for statement in statements:
                try:
                    self._conn.execute(statement).close()
                except sqlite3.Error as exc:
                    raise D1Error.from_sqlite(exc) from exc
        return D1ExecResult(count=len(statements), duration=(time.perf_counter() - started) * 1000)

    # -------------------- inspection

    def query(self, sql: str, *params: object) -> list[dict[str, Any]]:
        """Run one statement synchronously and return its rows as dicts (for tests and inspection)."""
        converted = tuple([_bind_value(v) for v in params])
        with self._lock:
            return self._execute_locked(sql, converted).results

    def read_query(self, sql: str, *params: object) -> list[dict[str, Any]]:
        """:meth:`query` for one statement that may only read: SQLite's authorizer refuses anything else (writes,
        ``ATTACH``, ``PRAGMA``, ``VACUUM INTO``) before it runs, as a :class:`D1Error` naming ``SQLITE_AUTH``."""
        converted = tuple([_bind_value(v) for v in params])
        with self._lock:
            self._conn.set_authorizer(_read_only_authorizer)
            try:
                return self._execute_locked(sql, converted).results
            finally:
                self._conn.set_authorizer(None)

    def tables(self) -> list[str]:
        """Names of the user tables (SQLite's internal tables excluded), sorted."""
        rows = self.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        return sorted(str(row["name"]) for row in rows)

    # -------------------- internals

    def _check_open(self) -> None:
        if self._closed:
            raise D1Error("D1_ERROR: the database is closed")

    def _execute(self, sql: str, params: tuple[D1Value, ...]) -> D1Result:
        with self._lock:
            return self._execute_locked(sql, params)

    def _execute_locked(self, sql: str, params: tuple[D1Value, ...]) -> D1Result:
        if self._closed:
            self._check_open()
        conn = self._conn
        before = conn.total_changes
        started = time.perf_counter()
        try:
            cursor = conn.execute(sql, params)
            rows = cursor.fetchall()
        except sqlite3.Error as exc:
            raise D1Error.from_sqlite(exc) from exc
        duration = (time.perf_counter() - started) * 1000
        description = cursor.description
        if description is None or not rows:
            results: list[dict[str, Any]] = []
        else:
            names = [column[0] for column in description]
            results = [dict(zip(names, row, strict=True)) for row in rows]
        changed = conn.total_changes != before
        rowcount = cursor.rowcount
        meta = D1Meta(
            duration=duration,
            changes=rowcount if rowcount > 0 else 0,
            last_row_id=cursor.lastrowid or 0,
            changed_db=changed,
        )
        return D1Result(results, True, meta)

    def _first(self, sql: str, params: tuple[D1Value, ...], column: str | None) -> Any:
        with self._lock:
            self._check_open()
            try:
                cursor = self._conn.execute(sql, params)
                row = cursor.fetchone()
                cursor.close()
            except sqlite3.Error as exc:
                raise D1Error.from_sqlite(exc) from exc
            description = cursor.description
        if row is None or description is None:
            return None
        names = [c[0] for c in description]
        if column is None:
            return dict(zip(names, row, strict=True))
        if column not in names:
            raise D1Error(f"D1_COLUMN_NOTFOUND: Column not found ({column})")
        # Later duplicate names win, as with object keys in JavaScript.
        return row[len(names) - 1 - names[::-1].index(column)]

    def _raw(self, sql: str, params: tuple[D1Value, ...], column_names: bool) -> list[list[Any]]:
        with self._lock:
            self._check_open()
            try:
                cursor = self._conn.execute(sql, params)
                rows = cursor.fetchall()
            except sqlite3.Error as exc:
                raise D1Error.from_sqlite(exc) from exc
        out = [list(row) for row in rows]
        if column_names:
            names = [c[0] for c in cursor.description] if cursor.description else []
            out.insert(0, names)
        return out

    def __repr__(self) -> str:
        return f"D1Database({self._path!r})"


_READ_ACTIONS = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
)


def _read_only_authorizer(action: int, *_names: str | None) -> int:
    """Allow what a ``SELECT`` (with CTEs and functions) needs; deny every other action."""
    return sqlite3.SQLITE_OK if action in _READ_ACTIONS else sqlite3.SQLITE_DENY


def _name(path: Path) -> str:
    return path.name
