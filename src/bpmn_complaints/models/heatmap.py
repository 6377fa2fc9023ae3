"""The heatmap's rollup of the audit trail (services/heatmap.py): built from the trail by
cursor, never written by a change, so a person's change pays nothing for it.

- ``heatmap_cursor``: how far the rollup has read the trail (one row);
- ``heatmap_rounds``: one row per process round (an ``instance_started`` event): what the
  trail says of it so far, to carry on from the next event;
- ``heatmap_visits``: one row per element a round completed, with the time spent there;
- ``heatmap_flows``: one row per sequence flow a round took;
- ``heatmap_daily``: the same counted per version, day the round started and element or
  flow, so a long period sums a few hundred rows instead of counting every visit;
- ``heatmap_buckets``: per element and day, how many times fell in each range of times,
  so a percentile seeks among one range's visits instead of all of them.
"""

from datetime import date, datetime

from sqlalchemy import JSON, Date, Float, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime


class HeatmapCursor(Model):
    __tablename__ = "heatmap_cursor"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    last_event_id: Mapped[int] = mapped_column(default=0)
    # Trail ids below ``last_event_id`` not yet seen (PostgreSQL hands out ids before a
    # transaction commits, so a lower id can appear later): [[id, wall-clock seconds first missed]].
    gaps: Mapped[list] = mapped_column(JSON, default=list)


class HeatmapRound(Model):
    __tablename__ = "heatmap_rounds"
    __table_args__ = (
        Index("ix_heatmap_rounds_complaint", "complaint_id"),
        Index("ix_heatmap_rounds_started", "definition_id", "started_at"),
        # Rounds with a token at an element that waits without a task row (a catch event,
        # an event-based gateway, a service task), per the version the instance runs now.
        Index("ix_heatmap_rounds_waiting", "live_definition_id", sqlite_where=text("waiting"),
              postgresql_where=text("waiting")),
    )

    round_id: Mapped[int] = mapped_column(primary_key=True)  # the instance_started event's id
    complaint_id: Mapped[int] = mapped_column()
    instance_id: Mapped[int | None] = mapped_column()
    definition_id: Mapped[int | None] = mapped_column()  # the version it started on
    live_definition_id: Mapped[int | None] = mapped_column()  # after a migration, the new one
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    is_current: Mapped[bool] = mapped_column(default=True)  # no later round of the complaint yet
    reopening: Mapped[bool] = mapped_column(default=False)  # the complaint had a round before
    previous: Mapped[str | None] = mapped_column(String(200))  # the last element completed
    previous_at: Mapped[float | None] = mapped_column(Float)  # when (seconds since the epoch)
    arrived: Mapped[dict] = mapped_column(JSON, default=dict)  # tasks offered, not yet done: id -> when
    counted: Mapped[bool] = mapped_column(default=False)  # it has completed or been offered an element
    passed: Mapped[list] = mapped_column(JSON, default=list)  # the elements it completed
    tokens: Mapped[list] = mapped_column(JSON, default=list)  # where the trail puts its tokens
    waiting: Mapped[bool] = mapped_column(default=False)


class HeatmapVisit(Model):
    __tablename__ = "heatmap_visits"
    __table_args__ = (
        # The percentiles: the k-th time at an element, by seeking along the times of its bucket.
        Index("ix_heatmap_visits_seconds", "definition_id", "bpmn_id", "bucket", "seconds", "started_at"),
        # The complaints at an element, newest round first; its times in a short period.
        Index("ix_heatmap_visits_element", "definition_id", "bpmn_id", "started_at", "seconds", "complaint_id"),
        # The part of a period that is not whole days.
        Index("ix_heatmap_visits_started", "definition_id", "started_at"),
        # A reopened round passing an element its complaint passed in an earlier round.
        Index("ix_heatmap_visits_repeat", "definition_id", "prior_started_at",
              sqlite_where=text("prior_started_at IS NOT NULL"),
              postgresql_where=text("prior_started_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column()
    bpmn_id: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the round's start
    seconds: Mapped[float | None] = mapped_column(Float)  # None: the round's first element
    bucket: Mapped[int | None] = mapped_column()  # services.heatmap.bucket(seconds): rises with it
    complaint_id: Mapped[int] = mapped_column()
    round_id: Mapped[int] = mapped_column()
    first_pass: Mapped[bool] = mapped_column()  # the round's first completion of the element
    # For a round's first completion: the start of the complaint's latest earlier round on
    # the same version that completed the element too (its "passed" counts once).
    prior_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class HeatmapFlow(Model):
    __tablename__ = "heatmap_flows"
    __table_args__ = (Index("ix_heatmap_flows_started", "definition_id", "started_at", "flow_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column()
    flow_id: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the round's start


class HeatmapBucket(Model):
    """How many times at an element fell in each bucket (a range of times, half a power of
    two wide), per version and day the rounds started: where the k-th time is, before
    seeking it among the few visits of its bucket."""

    __tablename__ = "heatmap_buckets"

    definition_id: Mapped[int] = mapped_column(primary_key=True)
    bpmn_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    bucket: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class HeatmapDaily(Model):
    __tablename__ = "heatmap_daily"

    definition_id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)  # the UTC day the rounds started
    item: Mapped[str] = mapped_column(String(200), primary_key=True)  # an element's or a flow's id
    passed: Mapped[int] = mapped_column(default=0)  # rounds' first completions of the element
    timed: Mapped[int] = mapped_column(default=0)  # completions with a time spent
    taken: Mapped[int] = mapped_column(default=0)  # times the flow was taken
