"""heatmap rollup: the trail rolled up by cursor into visits, flows, daily counts and
rounds, and times per bucket (services/heatmap.py), so a heatmap view sums rows instead of reading every event.

New tables only; they fill from the trail on the first heatmap view or rollup job after
the upgrade (models/heatmap.py).

Revision ID: b8c4d2e6f1a3
Revises: 6e1b9c4d2f70
Create Date: 2026-12-02 16:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b8c4d2e6f1a3'
down_revision = '6e1b9c4d2f70'
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "heatmap_cursor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
        sa.Column("gaps", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "heatmap_rounds",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("definition_id", sa.Integer(), nullable=True),
        sa.Column("live_definition_id", sa.Integer(), nullable=True),
        sa.Column("started_at", WHEN, nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("reopening", sa.Boolean(), nullable=False),
        sa.Column("previous", sa.String(length=200), nullable=True),
        sa.Column("previous_at", sa.Float(), nullable=True),
        sa.Column("arrived", sa.JSON(), nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.Column("passed", sa.JSON(), nullable=False),
        sa.Column("tokens", sa.JSON(), nullable=False),
        sa.Column("waiting", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("round_id"),
    )
    op.create_index("ix_heatmap_rounds_complaint", "heatmap_rounds", ["complaint_id"])
    op.create_index("ix_heatmap_rounds_started", "heatmap_rounds", ["definition_id", "started_at"])
    op.create_index("ix_heatmap_rounds_waiting", "heatmap_rounds", ["live_definition_id"],
                    sqlite_where=sa.text("waiting"), postgresql_where=sa.text("waiting"))
    op.create_table(
        "heatmap_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("bpmn_id", sa.String(length=200), nullable=False),
        sa.Column("started_at", WHEN, nullable=False),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.Column("bucket", sa.Integer(), nullable=True),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("first_pass", sa.Boolean(), nullable=False),
        sa.Column("prior_started_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_heatmap_visits_seconds", "heatmap_visits",
                    ["definition_id", "bpmn_id", "bucket", "seconds", "started_at"])
    op.create_index("ix_heatmap_visits_element", "heatmap_visits",
                    ["definition_id", "bpmn_id", "started_at", "seconds", "complaint_id"])
    op.create_index("ix_heatmap_visits_started", "heatmap_visits", ["definition_id", "started_at"])
    op.create_index("ix_heatmap_visits_repeat", "heatmap_visits", ["definition_id", "prior_started_at"],
                    sqlite_where=sa.text("prior_started_at IS NOT NULL"),
                    postgresql_where=sa.text("prior_started_at IS NOT NULL"))
    op.create_table(
        "heatmap_flows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("flow_id", sa.String(length=200), nullable=False),
        sa.Column("started_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_heatmap_flows_started", "heatmap_flows", ["definition_id", "started_at", "flow_id"])
    op.create_table(
        "heatmap_buckets",
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("bpmn_id", sa.String(length=200), nullable=False),
        sa.Column("bucket", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("definition_id", "bpmn_id", "bucket", "day"),
    )
    op.create_table(
        "heatmap_daily",
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("item", sa.String(length=200), nullable=False),
        sa.Column("passed", sa.Integer(), nullable=False),
        sa.Column("timed", sa.Integer(), nullable=False),
        sa.Column("taken", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("definition_id", "day", "item"),
    )


def downgrade():
    op.drop_table("heatmap_daily")
    op.drop_table("heatmap_buckets")
    op.drop_index("ix_heatmap_flows_started", table_name="heatmap_flows")
    op.drop_table("heatmap_flows")
    for name in ("ix_heatmap_visits_repeat", "ix_heatmap_visits_started", "ix_heatmap_visits_element",
                 "ix_heatmap_visits_seconds"):
        op.drop_index(name, table_name="heatmap_visits")
    op.drop_table("heatmap_visits")
    for name in ("ix_heatmap_rounds_waiting", "ix_heatmap_rounds_started", "ix_heatmap_rounds_complaint"):
        op.drop_index(name, table_name="heatmap_rounds")
    op.drop_table("heatmap_rounds")
    op.drop_table("heatmap_cursor")
