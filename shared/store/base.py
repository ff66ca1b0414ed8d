"""What every store engine offers, and the records that pass through it."""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from shared.state import StreamKey, StreamState, Transition

__all__ = [
    "Alert",
    "EventRecord",
    "EventStatus",
    "RecordResult",
    "Store",
    "StoredEvent",
]


class EventStatus(str, Enum):
    """What the store did with an event besides keeping it."""

    #: Verified and fresh; its state change (if any) was considered.
    APPLIED = "applied"
    #: Authentic but expired: kept aside for the poller to confirm.
    QUARANTINED = "quarantined"
    #: Authentic but not a valid event of its type: kept for a person to read.
    INVALID = "invalid"


@dataclass(frozen=True)
class EventRecord:
    """One received event, as it is written to the store.

    Attributes:
        dedup_key: the same for every delivery of one event.
        event_type: Tencent's event_type, when the body had a usable one.
        stream: the stream the event is about, if any.
        sequence: the publishing session, for push and stop events.
        event_time: UNIX seconds at which the event happened, if known.
        received_at: UNIX time of receipt.
        status: applied, quarantined or invalid.
        body: the raw body bytes exactly as received.
        source: where the event came from (``callback``).
        key_index: which configured key verified it.
    """

    dedup_key: str
    event_type: int | None
    stream: StreamKey | None
    sequence: str | None
    event_time: int | None
    received_at: float
    status: EventStatus
    body: bytes
    source: str = "callback"
    key_index: int | None = None


@dataclass(frozen=True)
class StoredEvent:
    """An event read back from the store."""

    id: int
    record: EventRecord


@dataclass(frozen=True)
class Alert:
    """An alert waiting in the outbox for the alerter to send.

    Attributes:
        fingerprint: alerts with the same fingerprint are one problem.
        kind: what happened (``abnormal_stop``, ``push_exception``, ...).
        severity: info, warning, error or critical.
        title: one line a person reads first.
        detail: the facts behind it; never a key, a sign or a raw body.
        stream: the stream concerned, if any.
        created_at: UNIX time the alert was raised.
    """

    fingerprint: str
    kind: str
    severity: str
    title: str
    detail: Mapping[str, Any] = field(default_factory=dict)
    stream: StreamKey | None = None
    created_at: float = 0.0


@dataclass(frozen=True)
class RecordResult:
    """What recording one event did.

    Attributes:
        duplicate: the event was already stored; nothing changed.
        state: the stream's state after the event, or None when it has no stream.
        state_changed: the event moved the stream's state.
        stale: the event was older than the state and did not move it.
        alerts: how many alerts were put in the outbox.
    """

    duplicate: bool
    state: StreamState | None = None
    state_changed: bool = False
    stale: bool = False
    alerts: int = 0


class Store(abc.ABC):
    """Durable state shared by every function: events, streams, outbox.

    Each method is one transaction. Engines raise
    :class:`~shared.errors.StoreUnavailable` when they cannot reach their
    database, :class:`UnstorableValue` when a value does not fit, and
    :class:`~shared.errors.StoreError` for anything else.
    """

    @abc.abstractmethod
    def migrate(self) -> int:
        """Create or upgrade the schema; return the schema version now in place."""

    @abc.abstractmethod
    def record_event(
        self,
        event: EventRecord,
        change: Transition | None = None,
        alerts: Sequence[Alert] = (),
    ) -> RecordResult:
        """Store an event once, apply its state change and queue its alerts.

        All three happen in one transaction, or none does. A second delivery
        of the same event (same dedup key) changes nothing, with one
        exception: a fresh (applied) delivery of an event held in quarantine
        releases it, and it is applied then; its alerts are queued only if
        the quarantined delivery queued none.
        """

    @abc.abstractmethod
    def stream(self, key: StreamKey) -> StreamState | None:
        """Return one stream's state, or None if it was never seen."""

    @abc.abstractmethod
    def streams(self) -> list[StreamState]:
        """Return every known stream's state, ordered by key."""

    @abc.abstractmethod
    def events(self, limit: int = 100) -> list[StoredEvent]:
        """Return the most recent events, newest first."""

    @abc.abstractmethod
    def event_count(self, status: EventStatus | None = None) -> int:
        """Count stored events, optionally of one status."""

    @abc.abstractmethod
    def pending_alerts(self) -> list[Alert]:
        """Return the alerts in the outbox that were not sent yet, oldest first."""

    @abc.abstractmethod
    def count(self, name: str, by: int = 1) -> None:
        """Add to a named counter (verification outcomes and the like)."""

    @abc.abstractmethod
    def counters(self) -> dict[str, int]:
        """Return every counter."""

    @abc.abstractmethod
    def keep_sample(self, reason: str, sample: bytes, received_at: float) -> None:
        """Keep a short sample of a refused request for diagnosis, bounded in number."""

    @abc.abstractmethod
    def record_refusals(
        self,
        counts: Mapping[str, int],
        samples: Mapping[str, bytes],
        received_at: float,
    ) -> None:
        """Add to counters and keep one sample per reason, in one transaction.

        Args:
            counts: how much to add to each named counter.
            samples: a refused request's sample for each reason.
            received_at: UNIX time the samples are filed under.
        """

    @abc.abstractmethod
    def samples(self) -> list[tuple[str, bytes]]:
        """Return the kept samples, newest first."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections."""
