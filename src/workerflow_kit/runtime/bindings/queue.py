"""A Cloudflare Queues binding: producer (``env.AUTOMATION_QUEUE``) and push-consumer semantics.

What is reproduced (Cloudflare's documented behaviour):

* at-least-once delivery, in batches of at most ``max_batch_size``; a forming batch closes when it is full
  or ``max_batch_timeout`` seconds (on the runtime :class:`~.clock.Clock`) after its first message became
  ready;
* per message, the **first** explicit ``ack()``/``retry()`` wins, and a per-message call beats
  ``ack_all()``/``retry_all()``; messages nobody acked or retried are acked when the handler returns
  normally, and retried when it raises (explicit acks stand);
* ``attempts`` counts deliveries (1 on the first); a message whose delivery number ``max_retries + 1``
  fails goes to the dead-letter queue, or is dropped when none is configured;
* retry delays: the ``retry(delay_seconds=...)`` argument, else the ``retry_all`` one, else the consumer's
  ``retry_delay``;
* Cloudflare's limits: 128 KB per message, 100 messages per ``send_batch``, delays up to 12 hours.

Driving: :meth:`Queue.deliver_once` and :meth:`Queue.drain` deliver on demand (tests, CLIs);
:meth:`Queue.start` turns on automatic delivery through clock timers (size or timeout closes a batch),
which works on a :class:`~.clock.VirtualClock` (as the clock is advanced) and on a
:class:`~.clock.SystemClock` (serving).

Persistence: give a SQLite file path and pending messages live in the table ``_wfkit_queue_messages`` of
that file (WAL mode, short transactions), so a new queue over the same file picks them up.
"""

from __future__ import annotations

import asyncio
import heapq
import inspect
import itertools
import json
import math
import os
import sqlite3
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Literal

from .clock import Clock, SystemClock, TimerHandle, VirtualClock, epoch_us, from_epoch_us, iso_ms

__all__ = [
    "MAX_BATCH_SEND",
    "MAX_DELAY_SECONDS",
    "MAX_MESSAGE_BYTES",
    "PROFILES",
    "BatchResult",
    "ConsumerHandler",
    "DroppedMessage",
    "Message",
    "MessageBatch",
    "MessageSendRequest",
    "PendingMessage",
    "Queue",
    "QueueDrainError",
    "QueueError",
    "QueueRegistry",
    "QueueSettings",
    "QueueStats",
]

MAX_MESSAGE_BYTES: Final = 128 * 1024
"""Cloudflare's limit on one message body (serialized)."""
MAX_BATCH_SEND: Final = 100
"""Cloudflare's limit on messages per ``sendBatch``."""
MAX_DELAY_SECONDS: Final = 12 * 60 * 60
"""Cloudflare's limit on ``delaySeconds`` and retry delays (12 hours)."""

TABLE: Final = "_wfkit_queue_messages"

_encode_json = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


def _uuid4() -> str:
    """A random (v4) UUID string, lowercase and hyphenated like ``crypto.randomUUID()``."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


ConsumerHandler = Callable[["MessageBatch"], Awaitable[None] | None]
"""The consumer: the queue worker's ``queue(batch, env)`` with ``env`` bound, e.g. ``lambda b: w.queue(b, env)``."""


class QueueError(Exception):
    """The queue was used in a way it cannot honour (no consumer, bad settings, limits exceeded)."""


class QueueDrainError(QueueError):
    """:meth:`Queue.drain` hit its bound before the queue became empty."""


# ---------------------------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------------------------


def _check_number(name: str, value: object, *, lo: float, hi: float, integer: bool) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise QueueError(f"{name} must be a number, got {value!r}")
    if integer and not isinstance(value, int):
        raise QueueError(f"{name} must be an integer, got {value!r}")
    if not math.isfinite(value) or not lo <= value <= hi:
        raise QueueError(f"{name} must be between {lo:g} and {hi:g}, got {value!r}")


def _check_delay(value: float | None, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{what} must be a number of seconds, got {type(value).__name__}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{what} must be a finite number of seconds >= 0, got {value!r}")
    if value > MAX_DELAY_SECONDS:
        raise ValueError(f"{what} must be at most {MAX_DELAY_SECONDS} seconds (12 hours), got {value!r}")
    return float(value)


@dataclass(frozen=True, slots=True)
class QueueSettings:
    """A push consumer's settings, as in a ``queues.consumers`` entry of ``wrangler.jsonc``.

    Ranges are Cloudflare's: batch size 1-100, batch timeout 0-60 s, retries 0-100, retry delay 0-43200 s.
    """

    max_batch_size: int = 10
    max_batch_timeout: float = 5.0
    max_retries: int = 3
    dead_letter_queue: str | None = None
    retry_delay: float = 0.0

    def __post_init__(self) -> None:
        _check_number("max_batch_size", self.max_batch_size, lo=1, hi=100, integer=True)
        _check_number("max_batch_timeout", self.max_batch_timeout, lo=0, hi=60, integer=False)
        _check_number("max_retries", self.max_retries, lo=0, hi=100, integer=True)
        _check_number("retry_delay", self.retry_delay, lo=0, hi=MAX_DELAY_SECONDS, integer=False)
        if self.dead_letter_queue is not None and (
            not isinstance(self.dead_letter_queue, str) or not self.dead_letter_queue
        ):
            raise QueueError(f"dead_letter_queue must be a queue name or None, got {self.dead_letter_queue!r}")

    @property
    def max_deliveries(self) -> int:
        """Deliveries a message gets before it is dead-lettered or dropped: ``max_retries + 1``."""
        return self.max_retries + 1

    @classmethod
    def from_wrangler(cls, consumer: Mapping[str, Any]) -> QueueSettings:
        """Settings from one ``queues.consumers`` entry (snake_case keys as in wrangler).

        Missing or ``null`` values take Cloudflare's platform defaults (10, 5 s, 3 retries, no dead-letter
        queue, no retry delay). Other keys (``queue``, ``max_concurrency`` ...) are ignored.
        """
        if not isinstance(consumer, Mapping):
            raise QueueError(f"a wrangler queue consumer must be an object, got {type(consumer).__name__}")
        defaults = cls()
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = consumer.get(f.name)
            values[f.name] = getattr(defaults, f.name) if raw is None else raw
        return cls(**values)

    @classmethod
    def cloudflare(cls) -> QueueSettings:
        """WorkerFlow's deployed consumer settings: batch 10, timeout 5 s, 8 retries, no dead-letter queue."""
        return cls(max_batch_size=10, max_batch_timeout=5.0, max_retries=8, dead_letter_queue=None)

    @classmethod
    def miniflare(cls) -> QueueSettings:
        """Local-development defaults (batch 5, timeout 1 s, 2 retries), for "works locally, fails in prod"."""
        return cls(max_batch_size=5, max_batch_timeout=1.0, max_retries=2, dead_letter_queue=None)

    @classmethod
    def profile(cls, name: str) -> QueueSettings:
        """A named profile: ``"cloudflare"`` or ``"miniflare"``."""
        try:
            return PROFILES[name]()
        except KeyError:
            raise QueueError(f"unknown queue profile {name!r}; choose one of {sorted(PROFILES)}") from None


PROFILES: Final[dict[str, Callable[[], QueueSettings]]] = {
    "cloudflare": QueueSettings.cloudflare,
    "miniflare": QueueSettings.miniflare,
}
"""Named settings profiles for :meth:`QueueSettings.profile`."""


# ---------------------------------------------------------------------------------------------------------
# Records, messages and batches
# ---------------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class QueueStats:
    """Counters. ``delivered`` counts message deliveries; every delivery ends as exactly one of
    ``acked``, ``retried`` (scheduled for redelivery), ``dead_lettered`` or ``dropped``, or is in flight.
    """

    sent: int = 0
    batches: int = 0
    delivered: int = 0
    acked: int = 0
    retried: int = 0
    dead_lettered: int = 0
    dropped: int = 0


@dataclass(frozen=True, slots=True)
class DroppedMessage:
    """A message that used up its deliveries. ``dead_letter_queue`` names where it went, if anywhere."""

    id: str
    body: Any
    attempts: int
    reason: str
    at: datetime
    dead_letter_queue: str | None = None
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class PendingMessage:
    """A snapshot of a message still owned by the queue (see :meth:`Queue.pending`)."""

    id: str
    body: Any
    timestamp: datetime
    attempts: int
    not_before: datetime
    state: Literal["ready", "delayed", "in_flight"]


@dataclass(frozen=True, slots=True)
class MessageSendRequest:
    """One entry of :meth:`Queue.send_batch` (Cloudflare's ``MessageSendRequest``)."""

    body: Any
    delay_seconds: float | None = None


@dataclass(slots=True)
class BatchResult:
    """What happened to one delivered batch."""

    queue: str
    message_ids: list[str]
    acked: list[str] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)
    dead_lettered: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    error: BaseException | None = None


class _Record:
    """A message owned by the queue. ``attempts`` = deliveries so far."""

    __slots__ = ("attempts", "body_json", "id", "not_before_us", "seq", "timestamp_us")

    def __init__(  # noqa: PLR0917 - internal record, positional for speed
        self, id: str, body_json: str, timestamp_us: int, attempts: int, not_before_us: int, seq: int
    ) -> None:
        self.id = id
        self.body_json = body_json
        self.timestamp_us = timestamp_us
        self.attempts = attempts
        self.not_before_us = not_before_us
        self.seq = seq


_ACK: Final = 1
_RETRY: Final = 2


class Message:
    """One delivered message, as the consumer sees it.

    ``body`` is a fresh copy (the body went through JSON, as it does between Cloudflare workers), so a
    handler mutating it does not change what a redelivery sees.
    """

    __slots__ = ("_decision", "_delay", "_settled", "attempts", "body", "id", "timestamp")

    def __init__(self, id: str, timestamp: datetime, body: Any, attempts: int) -> None:
        self.id = id
        self.timestamp = timestamp
        self.body = body
        self.attempts = attempts
        self._decision = 0
        self._delay: float | None = None
        self._settled = False

    def ack(self) -> None:
        """Mark the message delivered successfully. Ignored if ``ack``/``retry`` was already called."""
        if self._decision == 0 and not self._settled:
            self._decision = _ACK

    def retry(self, delay_seconds: float | None = None) -> None:
        """Ask for redelivery, after ``delay_seconds`` if given. Ignored if already acked or retried."""
        delay = _check_delay(delay_seconds, "delay_seconds")
        if self._decision == 0 and not self._settled:
            self._decision = _RETRY
            self._delay = delay

    def __repr__(self) -> str:
        return f"<Message id={self.id} attempts={self.attempts} body={self.body!r}>"


class MessageBatch:
    """The batch a consumer receives: ``queue`` (name), ``messages``, ``ack_all()``, ``retry_all()``."""

    __slots__ = ("_decision", "_delay", "_settled", "messages", "queue")

    def __init__(self, queue: str, messages: tuple[Message, ...]) -> None:
        self.queue = queue
        self.messages = messages
        self._decision = 0
        self._delay: float | None = None
        self._settled = False

    def ack_all(self) -> None:
        """Ack every message that has no per-message call. Ignored after an earlier batch call."""
        if self._decision == 0 and not self._settled:
            self._decision = _ACK

    def retry_all(self, delay_seconds: float | None = None) -> None:
        """Retry every message that has no per-message call. Ignored after an earlier batch call."""
        delay = _check_delay(delay_seconds, "delay_seconds")
        if self._decision == 0 and not self._settled:
            self._decision = _RETRY
            self._delay = delay

    def __len__(self) -> int:
        return len(self.messages)

    def __iter__(self) -> Iterator[Message]:
        return iter(self.messages)

    def __repr__(self) -> str:
        return f"<MessageBatch queue={self.queue!r} size={len(self.messages)}>"


# ---------------------------------------------------------------------------------------------------------
# SQLite storage
# ---------------------------------------------------------------------------------------------------------


class _Store:
    """Pending messages in ``_wfkit_queue_messages`` of a SQLite file. One connection, short transactions."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=5.0)
        self._conn.execute("PRAGMA busy_timeout = 5000")
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = NORMAL")
        self._conn.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} ("
            " queue TEXT NOT NULL,"
            " id TEXT NOT NULL,"
            " seq INTEGER NOT NULL,"
            " body TEXT NOT NULL,"
            " timestamp TEXT NOT NULL,"
            " timestamp_us INTEGER NOT NULL,"
            " attempts INTEGER NOT NULL,"
            " not_before_us INTEGER NOT NULL,"
            " PRIMARY KEY (queue, id))"
        )
        self._conn.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_order ON {TABLE} (queue, seq)")

    def load(self, queue: str) -> list[_Record]:
        rows = self._conn.execute(
            f"SELECT id, body, timestamp_us, attempts, not_before_us, seq FROM {TABLE} WHERE queue = ? ORDER BY seq",
            (queue,),
        ).fetchall()
        return [_Record(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]

    def insert(self, queue: str, records: Sequence[_Record]) -> None:
        rows = [
            (queue, r.id, r.seq, r.body_json, iso_ms(from_epoch_us(r.timestamp_us)), r.timestamp_us,
             r.attempts, r.not_before_us)
            for r in records
        ]  # fmt: skip
        with self._transaction():
            self._conn.executemany(
                f"INSERT OR REPLACE INTO {TABLE} "
                "(queue, id, seq, body, timestamp, timestamp_us, attempts, not_before_us) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def update(self, queue: str, records: Iterable[_Record]) -> None:
        rows = [(r.attempts, r.not_before_us, r.seq, queue, r.id) for r in records]
        if rows:
            with self._transaction():
                self._conn.executemany(
                    f"UPDATE {TABLE} SET attempts = ?, not_before_us = ?, seq = ? WHERE queue = ? AND id = ?",
                    rows,
                )

    def settle(self, queue: str, delete_ids: Sequence[str], updates: Sequence[_Record]) -> None:
        if not delete_ids and not updates:
            return
        with self._transaction():
            self._conn.executemany(f"DELETE FROM {TABLE} WHERE queue = ? AND id = ?", [(queue, i) for i in delete_ids])
            self._conn.executemany(
                f"UPDATE {TABLE} SET attempts = ?, not_before_us = ?, seq = ? WHERE queue = ? AND id = ?",
                [(r.attempts, r.not_before_us, r.seq, queue, r.id) for r in updates],
            )

    def max_seq(self) -> int:
        row = self._conn.execute(f"SELECT MAX(seq) FROM {TABLE}").fetchone()
        return -1 if row is None or row[0] is None else int(row[0])

    def _transaction(self) -> _Tx:
        return _Tx(self._conn)

    def close(self) -> None:
        self._conn.close()


class _Tx:
    __slots__ = ("_conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._conn.execute("ROLLBACK" if exc_type is not None else "COMMIT")


# ---------------------------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------------------------


class QueueRegistry:
    """The queues of one runtime, by name: one clock, one optional SQLite file shared by all of them.

    Dead-letter queues are looked up here by name (and created on first use with default settings and no
    consumer, so dead letters simply accumulate until someone consumes or inspects them).
    """

    def __init__(self, *, clock: Clock | None = None, path: str | Path | None = None) -> None:
        """``clock`` defaults to a :class:`SystemClock`; ``path`` (a SQLite file) enables persistence."""
        self.clock: Clock = SystemClock() if clock is None else clock
        self._store: _Store | None = None if path is None else _Store(path)
        self._seq = itertools.count((self._store.max_seq() + 1) if self._store is not None else 0)
        self._queues: dict[str, Queue] = {}

    @property
    def path(self) -> str | None:
        """The SQLite file holding pending messages, or ``None`` when in memory."""
        return None if self._store is None else self._store.path

    def create(self, name: str, *, settings: QueueSettings | None = None, ledger: bool = True) -> Queue:
        """Create and register queue ``name`` (an error if that name exists)."""
        return Queue(name, settings=settings, registry=self, ledger=ledger)

    def get(self, name: str) -> Queue:
        """The queue called ``name``; :class:`KeyError` naming the known queues if there is none."""
        try:
            return self._queues[name]
        except KeyError:
            raise KeyError(f"no queue named {name!r} (known: {sorted(self._queues)})") from None

    def get_or_create(self, name: str) -> Queue:
        """The queue called ``name``, created with default settings if needed."""
        queue = self._queues.get(name)
        return queue if queue is not None else self.create(name)

    def names(self) -> list[str]:
        """Registered queue names, in creation order."""
        return list(self._queues)

    def __contains__(self, name: object) -> bool:
        return name in self._queues

    def __iter__(self) -> Iterator[Queue]:
        return iter(list(self._queues.values()))

    def close(self) -> None:
        """Close the SQLite connection (pending messages stay in the file)."""
        if self._store is not None:
            self._store.close()
            self._store = None

    def _register(self, queue: Queue) -> None:
        if queue.name in self._queues:
            raise QueueError(f"a queue named {queue.name!r} already exists in this registry")
        self._queues[queue.name] = queue

    def _next_seq(self) -> int:
        return next(self._seq)


# ---------------------------------------------------------------------------------------------------------
# The queue
# ---------------------------------------------------------------------------------------------------------


class Queue:
    """One Cloudflare queue: the producer binding workers get (``send``, ``send_batch``) plus its consumer.

    >>> clock = VirtualClock()
    >>> q = Queue("jobs", clock=clock, settings=QueueSettings.cloudflare())
    >>> q.set_consumer(handler)          # doctest: +SKIP
    >>> await q.send({"task": 1})        # doctest: +SKIP
    >>> await q.drain()                  # doctest: +SKIP

    Either pass ``clock`` (and optionally ``path``) for a standalone queue with its own
    :class:`QueueRegistry`, or ``registry`` to join an existing one (then the registry's clock and file are
    used). ``ledger=True`` keeps the ids of acked messages in :attr:`acked_ids` (exact accounting for tests
    and invariants; turn it off for long-running serving).
    """

    def __init__(
        self,
        name: str = "workerflow-automation-queue",
        *,
        clock: Clock | None = None,
        settings: QueueSettings | None = None,
        path: str | Path | None = None,
        registry: QueueRegistry | None = None,
        ledger: bool = True,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise QueueError(f"a queue name must be a non-empty string, got {name!r}")
        if settings is not None and not isinstance(settings, QueueSettings):
            raise TypeError(f"settings must be a QueueSettings, got {type(settings).__name__}")
        if registry is None:
            registry = QueueRegistry(clock=clock, path=path)
        else:
            if path is not None:
                raise QueueError("pass path= to the QueueRegistry, not to a queue joining it")
            if clock is not None and clock is not registry.clock:
                raise QueueError("a queue joining a registry must use the registry's clock")
        self.name = name
        self.settings = QueueSettings() if settings is None else settings
        self._check_dead_letter_queue(self.settings)
        self.registry = registry
        self.clock: Clock = registry.clock
        self.stats = QueueStats()
        self.dropped: list[DroppedMessage] = []
        self.dead_lettered: list[DroppedMessage] = []
        self.acked_ids: list[str] | None = [] if ledger else None
        self._consumer: ConsumerHandler | None = None
        self._ready: deque[_Record] = deque()
        self._delayed: list[tuple[int, int, _Record]] = []
        self._in_flight: dict[str, _Record] = {}
        self._forming_since_us: int | None = None
        self._lock = asyncio.Lock()
        self._running = False
        self._wake: TimerHandle | None = None
        self._wake_us = 0
        self._pumping = False
        self._pump_again = False
        self._pump_task: asyncio.Future[None] | None = None
        registry._register(self)
        store = registry._store
        if store is not None:
            now = self._now_us()
            for record in store.load(name):
                self._place(record, now)

    def __repr__(self) -> str:
        return (
            f"<Queue {self.name!r} ready={len(self._ready)} delayed={len(self._delayed)} "
            f"in_flight={len(self._in_flight)}>"
        )

    # -- consumer -----------------------------------------------------------------------------------------

    def set_consumer(self, handler: ConsumerHandler | None, *, settings: QueueSettings | None = None) -> None:
        """Register the consumer (``None`` removes it); ``settings`` optionally replaces the queue's."""
        if handler is not None and not callable(handler):
            raise TypeError(f"the consumer must be callable, got {type(handler).__name__}")
        if settings is not None:
            if not isinstance(settings, QueueSettings):
                raise TypeError(f"settings must be a QueueSettings, got {type(settings).__name__}")
            self._check_dead_letter_queue(settings)
            self.settings = settings
        self._consumer = handler
        if handler is None and self._running:  # nobody to deliver to: automatic delivery stops
            self._running = False
            if self._wake is not None:
                self._wake.cancel()
                self._wake = None

    @property
    def consumer(self) -> ConsumerHandler | None:
        """The registered consumer, if any."""
        return self._consumer

    # -- producer -----------------------------------------------------------------------------------------

    async def send(self, body: Any, *, delay_seconds: float | None = None) -> None:
        """Enqueue ``body`` (JSON-serializable, at most 128 KB serialized), after ``delay_seconds``."""
        self._enqueue([self._new_record(body, _check_delay(delay_seconds, "delay_seconds"))])

    async def send_batch(
        self,
        messages: Iterable[MessageSendRequest | Mapping[str, Any]],
        *,
        delay_seconds: float | None = None,
    ) -> None:
        """Enqueue several messages at once (at most 100), all or nothing.

        Each item is a :class:`MessageSendRequest` or a mapping with ``body`` and optionally
        ``delay_seconds`` (``delaySeconds`` is accepted too); a per-message delay beats ``delay_seconds``.
        """
        default_delay = _check_delay(delay_seconds, "delay_seconds")
        items = list(messages)
        if len(items) > MAX_BATCH_SEND:
            raise QueueError(f"send_batch accepts at most {MAX_BATCH_SEND} messages, got {len(items)}")
        records = []
        for index, item in enumerate(items):
            if isinstance(item, MessageSendRequest):
                body, delay = item.body, item.delay_seconds
            elif isinstance(item, Mapping):
                if "body" not in item:
                    raise QueueError(f"send_batch item {index} has no 'body'")
                body = item["body"]
                delay = item.get("delay_seconds", item.get("delaySeconds"))
            else:
                raise TypeError(
                    f"send_batch item {index} must be a MessageSendRequest or a mapping with 'body', "
                    f"got {type(item).__name__}"
                )
            delay = _check_delay(delay, f"send_batch item {index} delay_seconds")
            records.append(self._new_record(body, default_delay if delay is None else delay))
        self._enqueue(records)

    def _new_record(self, body: Any, delay: float | None) -> _Record:
        try:
            body_json = _encode_json(body)
        except (TypeError, ValueError) as exc:
            raise QueueError(f"queue message body is not JSON-serializable: {exc}") from None
        if len(body_json) > MAX_MESSAGE_BYTES // 4 and len(body_json.encode()) > MAX_MESSAGE_BYTES:
            raise QueueError(
                f"queue message body is {len(body_json.encode())} bytes; Cloudflare's limit is "
                f"{MAX_MESSAGE_BYTES} bytes"
            )
        now = self._now_us()
        timestamp = now - now % 1000  # a JS Date: whole milliseconds
        not_before = now if not delay else now + round(delay * 1_000_000)
        return _Record(_uuid4(), body_json, timestamp, 0, not_before, self.registry._next_seq())

    def _enqueue(self, records: Sequence[_Record]) -> None:
        if not records:
            return
        store = self.registry._store
        if store is not None:
            store.insert(self.name, records)
        now = self._now_us()
        for record in records:
            self._place(record, now)
        self.stats.sent += len(records)
        if self._running:
            self._reschedule(now)

    # -- inspection ---------------------------------------------------------------------------------------

    def ready_count(self) -> int:
        """Messages deliverable right now (delayed ones whose time has come included)."""
        self._promote(self._now_us())
        return len(self._ready)

    def delayed_count(self) -> int:
        """Messages waiting for their delay (or retry delay) to pass."""
        self._promote(self._now_us())
        return len(self._delayed)

    def in_flight_count(self) -> int:
        """Messages delivered to a consumer that has not finished yet."""
        return len(self._in_flight)

    def pending_count(self) -> int:
        """All messages still owned by the queue: ready + delayed + in flight."""
        return len(self._ready) + len(self._delayed) + len(self._in_flight)

    def pending(self) -> list[PendingMessage]:
        """Snapshots of every message still owned by the queue, ready ones first in delivery order."""
        self._promote(self._now_us())
        out: list[PendingMessage] = []
        groups: list[tuple[Literal["ready", "delayed", "in_flight"], Iterable[_Record]]] = [
            ("ready", self._ready),
            ("delayed", [entry[2] for entry in sorted(self._delayed)]),
            ("in_flight", self._in_flight.values()),
        ]
        for state, records in groups:
            for r in records:
                out.append(
                    PendingMessage(
                        id=r.id,
                        body=json.loads(r.body_json),
                        timestamp=from_epoch_us(r.timestamp_us),
                        attempts=r.attempts,
                        not_before=from_epoch_us(r.not_before_us),
                        state=state,
                    )
                )
        return out

    def next_ready_time(self) -> datetime | None:
        """When the next delayed message becomes ready (now, if one is ready), or ``None`` if none waits."""
        now = self._now_us()
        self._promote(now)
        if self._ready:
            return from_epoch_us(now)
        return from_epoch_us(self._delayed[0][0]) if self._delayed else None

    # -- delivery -----------------------------------------------------------------------------------------

    async def deliver_once(self) -> BatchResult | None:
        """Form one batch from the messages ready now (at most ``max_batch_size``) and deliver it.

        Returns what happened, or ``None`` when no message is ready. Raises :class:`QueueError` if no
        consumer is registered. Handler exceptions do not propagate; they are in ``BatchResult.error``.
        """
        self._require_consumer()
        async with self._lock:
            return await self._deliver(self._now_us())

    async def drain(self, *, max_batches: int = 1_000_000) -> int:
        """Deliver until no message is ready, delayed or in flight; returns the number of batches delivered.

        Ready messages go out immediately in full batches (no waiting for the batch timeout). When only
        delayed messages remain, a :class:`VirtualClock` is advanced to the earliest one's ready time (any
        other timers due by then run as usual); a real clock is slept on. Raises :class:`QueueDrainError`
        after ``max_batches`` batches (e.g. a consumer that keeps enqueueing), leaving the queue usable.
        """
        self._require_consumer()
        if isinstance(max_batches, bool) or not isinstance(max_batches, int) or max_batches < 1:
            raise ValueError(f"max_batches must be a positive integer, got {max_batches!r}")
        batches = 0
        while True:
            async with self._lock:
                now = self._now_us()
                self._promote(now)
                if self._ready:
                    if batches >= max_batches:
                        raise QueueDrainError(
                            f"queue {self.name!r} not drained after {max_batches} batches "
                            f"({self.pending_count()} messages pending); is the consumer re-enqueueing "
                            "forever? Raise max_batches= if the workload is just large"
                        )
                    await self._deliver(now)
                    batches += 1
                    continue
                if not self._delayed:
                    return batches
                next_us = self._delayed[0][0]
            clock = self.clock
            if isinstance(clock, VirtualClock):
                await clock.advance_to(from_epoch_us(max(next_us, clock.now_us())))
            else:
                await clock.sleep(max(0.0, (next_us - self._now_us()) / 1_000_000))

    def start(self) -> None:
        """Turn on automatic delivery: a batch goes out when ``max_batch_size`` messages are ready, or
        ``max_batch_timeout`` seconds after the first ready message of the forming batch, like Cloudflare.

        Delivery runs from clock timers: on a :class:`VirtualClock` as the clock is advanced, on a
        :class:`SystemClock` on the running event loop (call ``start`` from async code). Needs a consumer.
        """
        self._require_consumer()
        if self._running:
            return
        if not isinstance(self.clock, VirtualClock):
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                raise QueueError(
                    "Queue.start() with a real clock needs a running asyncio event loop (call it from async code)"
                ) from None
        self._running = True
        self._reschedule(self._now_us())

    async def stop(self) -> None:
        """Turn automatic delivery off and wait for a batch being delivered to settle."""
        self._running = False
        if self._wake is not None:
            self._wake.cancel()
            self._wake = None
        task = self._pump_task
        if task is not None and not task.done():
            await asyncio.shield(task)
        async with self._lock:
            pass

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._running

    # -- internals ----------------------------------------------------------------------------------------

    def _now_us(self) -> int:
        clock = self.clock
        if isinstance(clock, VirtualClock):
            return clock.now_us()
        return epoch_us(clock.now())

    def _check_dead_letter_queue(self, settings: QueueSettings) -> None:
        if settings.dead_letter_queue == self.name:
            raise QueueError(f"queue {self.name!r} cannot be its own dead-letter queue")

    def _require_consumer(self) -> None:
        if self._consumer is None:
            raise QueueError(f"queue {self.name!r} has no consumer; call set_consumer(handler) first")

    def _place(self, record: _Record, now: int) -> None:
        if record.not_before_us <= now:
            if not self._ready:
                self._forming_since_us = now
            self._ready.append(record)
        else:
            heapq.heappush(self._delayed, (record.not_before_us, record.seq, record))

    def _promote(self, now: int) -> None:
        delayed = self._delayed
        while delayed and delayed[0][0] <= now:
            not_before, _, record = heapq.heappop(delayed)
            if not self._ready:
                self._forming_since_us = not_before
            self._ready.append(record)

    async def _deliver(self, now: int) -> BatchResult | None:
        """Deliver one batch of ready messages; the caller holds ``self._lock``."""
        self._promote(now)
        ready = self._ready
        if not ready:
            return None
        consumer = self._consumer
        if consumer is None:
            raise QueueError(f"queue {self.name!r} has no consumer; call set_consumer(handler) first")
        size = min(self.settings.max_batch_size, len(ready))
        records = [ready.popleft() for _ in range(size)]
        self._forming_since_us = now if ready else None
        in_flight = self._in_flight
        messages = []
        for r in records:
            r.attempts += 1
            in_flight[r.id] = r
            messages.append(Message(r.id, from_epoch_us(r.timestamp_us), json.loads(r.body_json), r.attempts))
        store = self.registry._store
        if store is not None:
            store.update(self.name, records)
        self.stats.batches += 1
        self.stats.delivered += size
        batch = MessageBatch(self.name, tuple(messages))
        error: BaseException | None = None
        try:
            outcome = consumer(batch)
            if outcome is not None and inspect.isawaitable(outcome):
                await outcome
        except Exception as exc:
            error = exc
        except BaseException as exc:  # cancellation / shutdown: settle as a failed delivery, then re-raise
            self._settle(batch, records, exc)
            raise
        return self._settle(batch, records, error)

    def _settle(self, batch: MessageBatch, records: list[_Record], error: BaseException | None) -> BatchResult:
        settings = self.settings
        now = self._now_us()
        result = BatchResult(self.name, [r.id for r in records], error=error)
        batch._settled = True
        batch_decision = batch._decision
        batch_delay = batch._delay if batch_decision == _RETRY else None
        default_decision = _RETRY if error is not None else _ACK
        acked_ids = self.acked_ids
        deletes: list[str] = []
        updates: list[_Record] = []
        stats = self.stats
        for message, record in zip(batch.messages, records, strict=True):
            message._settled = True
            del self._in_flight[record.id]
            decision = message._decision or batch_decision or default_decision
            if decision == _ACK:
                stats.acked += 1
                result.acked.append(record.id)
                if acked_ids is not None:
                    acked_ids.append(record.id)
                deletes.append(record.id)
                continue
            if record.attempts >= settings.max_retries + 1:
                deletes.append(record.id)
                self._give_up(record, now, error, result)
                continue
            delay = message._delay if message._delay is not None else batch_delay
            if delay is None:
                delay = settings.retry_delay
            record.not_before_us = now + round(delay * 1_000_000)
            record.seq = self.registry._next_seq()
            updates.append(record)
            stats.retried += 1
            result.retried.append(record.id)
            self._place(record, now)
        store = self.registry._store
        if store is not None:
            store.settle(self.name, deletes, updates)
        if self._running:
            self._reschedule(now)
        return result

    def _give_up(self, record: _Record, now: int, error: BaseException | None, result: BatchResult) -> None:
        dlq_name = self.settings.dead_letter_queue
        body = json.loads(record.body_json)
        last_error = None if error is None else f"{type(error).__name__}: {error}"
        at = from_epoch_us(now)
        if dlq_name is None:
            self.stats.dropped += 1
            result.dropped.append(record.id)
            self.dropped.append(
                DroppedMessage(
                    id=record.id,
                    body=body,
                    attempts=record.attempts,
                    reason=f"max_retries ({self.settings.max_retries}) exceeded after {record.attempts} "
                    "deliveries; no dead-letter queue configured",
                    at=at,
                    last_error=last_error,
                )
            )
            return
        dlq = self.registry.get_or_create(dlq_name)
        # The dead letter keeps its id, body and timestamp; its delivery count starts afresh.
        dlq._enqueue([_Record(record.id, record.body_json, record.timestamp_us, 0, now, self.registry._next_seq())])
        self.stats.dead_lettered += 1
        result.dead_lettered.append(record.id)
        self.dead_lettered.append(
            DroppedMessage(
                id=record.id,
                body=body,
                attempts=record.attempts,
                reason=f"max_retries ({self.settings.max_retries}) exceeded after {record.attempts} "
                f"deliveries; moved to dead-letter queue {dlq_name!r}",
                at=at,
                dead_letter_queue=dlq_name,
                last_error=last_error,
            )
        )

    # -- automatic delivery -------------------------------------------------------------------------------

    def _reschedule(self, now: int) -> None:
        """Make sure a wake-up timer exists for the next moment a batch could close or a message ripen."""
        if not self._running:
            return
        due: int | None = None
        if self._ready:
            if len(self._ready) >= self.settings.max_batch_size:
                due = now
            else:
                since = self._forming_since_us if self._forming_since_us is not None else now
                due = since + round(self.settings.max_batch_timeout * 1_000_000)
        if self._delayed:
            first = self._delayed[0][0]
            due = first if due is None else min(due, first)
        if due is None:
            return
        due = max(due, now)
        wake = self._wake
        if wake is not None and not wake.cancelled:
            if self._wake_us <= due:
                return
            wake.cancel()
        self._wake_us = due
        self._wake = self.clock.call_at(from_epoch_us(due), self._on_wake)

    def _on_wake(self) -> Awaitable[None] | None:
        self._wake = None
        if not self._running:
            return None
        if self._pumping:
            self._pump_again = True
            return None
        if isinstance(self.clock, VirtualClock):
            return self._pump()
        task = asyncio.ensure_future(self._pump())
        task.add_done_callback(_report_task_failure)
        self._pump_task = task
        return None

    async def _pump(self) -> None:
        self._pumping = True
        try:
            while self._running:
                self._pump_again = False
                async with self._lock:
                    now = self._now_us()
                    self._promote(now)
                    ready = self._ready
                    timeout_us = round(self.settings.max_batch_timeout * 1_000_000)
                    full = len(ready) >= self.settings.max_batch_size
                    since = self._forming_since_us
                    timed_out = bool(ready) and (since is None or now - since >= timeout_us)
                    if full or timed_out:
                        await self._deliver(now)
                        continue
                    self._reschedule(now)
                if not self._pump_again:
                    return
        finally:
            self._pumping = False
            if self._running:
                self._reschedule(self._now_us())


def _report_task_failure(task: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        task.get_loop().call_exception_handler(
            {"message": "queue background delivery failed", "exception": task.exception(), "future": task}
        )
