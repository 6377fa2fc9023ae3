"""task counts: what the inbox tabs and the workload page count, kept as deltas by
triggers on human_tasks (models/task_counts.py), and an index of when each open task was
taken, of each person's completions by date and of the open tasks with an
independence rule by complaint, so the workload page seeks each person's
oldest and counts what they finished lately instead of reading every row.

The upgrade counts the open tasks once (one row per count) before the triggers take over.
The SQL is written out here: a revision never imports application code, which may change
after it is written.

Revision ID: a4c7e2f9b1d3
Revises: b8c4d2e6f1a3
Create Date: 2026-12-03 09:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a4c7e2f9b1d3'
down_revision = 'b8c4d2e6f1a3'
branch_labels = None
depends_on = None

SQLITE_UP = ("CREATE TRIGGER IF NOT EXISTS task_counts_ai AFTER INSERT ON human_tasks WHEN new.state = 'ready' "
 "BEGIN INSERT INTO task_counts (kind, key, n) SELECT kind, key, sum(n) FROM (SELECT 'open' AS "
 "kind, '' AS key, 1 AS n WHERE new.state = 'ready' UNION ALL SELECT 'held', new.assignee, 1 WHERE "
 "new.state = 'ready' AND new.assignee IS NOT NULL UNION ALL SELECT 'unclaimed', "
 "new.candidate_group, 1 WHERE new.state = 'ready' AND new.assignee IS NULL AND "
 "new.candidate_group IS NOT NULL UNION ALL SELECT 'ruled', new.candidate_group, 1 WHERE new.state "
 "= 'ready' AND new.assignee IS NULL AND new.candidate_group IS NOT NULL AND (new.excludes_workers "
 'OR new.exclude_entered_by)) AS moved GROUP BY kind, key HAVING sum(n) <> 0; END',
 'CREATE TRIGGER IF NOT EXISTS task_counts_au AFTER UPDATE OF state, assignee, candidate_group, '
 'excludes_workers, exclude_entered_by ON human_tasks WHEN old.state IS NOT new.state OR '
 'old.assignee IS NOT new.assignee OR old.candidate_group IS NOT new.candidate_group OR '
 'old.excludes_workers IS NOT new.excludes_workers OR old.exclude_entered_by IS NOT '
 'new.exclude_entered_by BEGIN INSERT INTO task_counts (kind, key, n) SELECT kind, key, sum(n) '
 "FROM (SELECT 'open' AS kind, '' AS key, -1 AS n WHERE old.state = 'ready' UNION ALL SELECT "
 "'held', old.assignee, -1 WHERE old.state = 'ready' AND old.assignee IS NOT NULL UNION ALL SELECT "
 "'unclaimed', old.candidate_group, -1 WHERE old.state = 'ready' AND old.assignee IS NULL AND "
 "old.candidate_group IS NOT NULL UNION ALL SELECT 'ruled', old.candidate_group, -1 WHERE "
 "old.state = 'ready' AND old.assignee IS NULL AND old.candidate_group IS NOT NULL AND "
 "(old.excludes_workers OR old.exclude_entered_by) UNION ALL SELECT 'open' AS kind, '' AS key, 1 "
 "AS n WHERE new.state = 'ready' UNION ALL SELECT 'held', new.assignee, 1 WHERE new.state = "
 "'ready' AND new.assignee IS NOT NULL UNION ALL SELECT 'unclaimed', new.candidate_group, 1 WHERE "
 "new.state = 'ready' AND new.assignee IS NULL AND new.candidate_group IS NOT NULL UNION ALL "
 "SELECT 'ruled', new.candidate_group, 1 WHERE new.state = 'ready' AND new.assignee IS NULL AND "
 'new.candidate_group IS NOT NULL AND (new.excludes_workers OR new.exclude_entered_by)) AS moved '
 'GROUP BY kind, key HAVING sum(n) <> 0; END',
 "CREATE TRIGGER IF NOT EXISTS task_counts_ad AFTER DELETE ON human_tasks WHEN old.state = 'ready' "
 "BEGIN INSERT INTO task_counts (kind, key, n) SELECT kind, key, sum(n) FROM (SELECT 'open' AS "
 "kind, '' AS key, -1 AS n WHERE old.state = 'ready' UNION ALL SELECT 'held', old.assignee, -1 "
 "WHERE old.state = 'ready' AND old.assignee IS NOT NULL UNION ALL SELECT 'unclaimed', "
 "old.candidate_group, -1 WHERE old.state = 'ready' AND old.assignee IS NULL AND "
 "old.candidate_group IS NOT NULL UNION ALL SELECT 'ruled', old.candidate_group, -1 WHERE "
 "old.state = 'ready' AND old.assignee IS NULL AND old.candidate_group IS NOT NULL AND "
 '(old.excludes_workers OR old.exclude_entered_by)) AS moved GROUP BY kind, key HAVING sum(n) <> '
 '0; END')

POSTGRES_UP = ('CREATE OR REPLACE FUNCTION task_counts_moved() RETURNS trigger LANGUAGE plpgsql AS $$\n'
 '    BEGIN\n'
 "      IF TG_OP = 'INSERT' THEN INSERT INTO task_counts (kind, key, n) SELECT kind, key, sum(n) "
 "FROM (SELECT 'open' AS kind, '' AS key, 1 AS n WHERE new.state = 'ready' UNION ALL SELECT "
 "'held', new.assignee, 1 WHERE new.state = 'ready' AND new.assignee IS NOT NULL UNION ALL SELECT "
 "'unclaimed', new.candidate_group, 1 WHERE new.state = 'ready' AND new.assignee IS NULL AND "
 "new.candidate_group IS NOT NULL UNION ALL SELECT 'ruled', new.candidate_group, 1 WHERE new.state "
 "= 'ready' AND new.assignee IS NULL AND new.candidate_group IS NOT NULL AND (new.excludes_workers "
 'OR new.exclude_entered_by)) AS moved GROUP BY kind, key HAVING sum(n) <> 0;\n'
 "      ELSIF TG_OP = 'DELETE' THEN INSERT INTO task_counts (kind, key, n) SELECT kind, key, "
 "sum(n) FROM (SELECT 'open' AS kind, '' AS key, -1 AS n WHERE old.state = 'ready' UNION ALL "
 "SELECT 'held', old.assignee, -1 WHERE old.state = 'ready' AND old.assignee IS NOT NULL UNION ALL "
 "SELECT 'unclaimed', old.candidate_group, -1 WHERE old.state = 'ready' AND old.assignee IS NULL "
 "AND old.candidate_group IS NOT NULL UNION ALL SELECT 'ruled', old.candidate_group, -1 WHERE "
 "old.state = 'ready' AND old.assignee IS NULL AND old.candidate_group IS NOT NULL AND "
 '(old.excludes_workers OR old.exclude_entered_by)) AS moved GROUP BY kind, key HAVING sum(n) <> '
 '0;\n'
 "      ELSE INSERT INTO task_counts (kind, key, n) SELECT kind, key, sum(n) FROM (SELECT 'open' "
 "AS kind, '' AS key, -1 AS n WHERE old.state = 'ready' UNION ALL SELECT 'held', old.assignee, -1 "
 "WHERE old.state = 'ready' AND old.assignee IS NOT NULL UNION ALL SELECT 'unclaimed', "
 "old.candidate_group, -1 WHERE old.state = 'ready' AND old.assignee IS NULL AND "
 "old.candidate_group IS NOT NULL UNION ALL SELECT 'ruled', old.candidate_group, -1 WHERE "
 "old.state = 'ready' AND old.assignee IS NULL AND old.candidate_group IS NOT NULL AND "
 "(old.excludes_workers OR old.exclude_entered_by) UNION ALL SELECT 'open' AS kind, '' AS key, 1 "
 "AS n WHERE new.state = 'ready' UNION ALL SELECT 'held', new.assignee, 1 WHERE new.state = "
 "'ready' AND new.assignee IS NOT NULL UNION ALL SELECT 'unclaimed', new.candidate_group, 1 WHERE "
 "new.state = 'ready' AND new.assignee IS NULL AND new.candidate_group IS NOT NULL UNION ALL "
 "SELECT 'ruled', new.candidate_group, 1 WHERE new.state = 'ready' AND new.assignee IS NULL AND "
 'new.candidate_group IS NOT NULL AND (new.excludes_workers OR new.exclude_entered_by)) AS moved '
 'GROUP BY kind, key HAVING sum(n) <> 0;\n'
 '      END IF;\n'
 '      RETURN NULL;\n'
 '    END $$',
 'CREATE OR REPLACE TRIGGER task_counts_ai AFTER INSERT ON human_tasks FOR EACH ROW WHEN '
 "(new.state = 'ready') EXECUTE FUNCTION task_counts_moved()",
 'CREATE OR REPLACE TRIGGER task_counts_au AFTER UPDATE OF state, assignee, candidate_group, '
 'excludes_workers, exclude_entered_by ON human_tasks FOR EACH ROW WHEN (old.state IS DISTINCT '
 'FROM new.state OR old.assignee IS DISTINCT FROM new.assignee OR old.candidate_group IS DISTINCT '
 'FROM new.candidate_group OR old.excludes_workers IS DISTINCT FROM new.excludes_workers OR '
 'old.exclude_entered_by IS DISTINCT FROM new.exclude_entered_by) EXECUTE FUNCTION '
 'task_counts_moved()',
 'CREATE OR REPLACE TRIGGER task_counts_ad AFTER DELETE ON human_tasks FOR EACH ROW WHEN '
 "(old.state = 'ready') EXECUTE FUNCTION task_counts_moved()")

EVERY_COUNT = ("SELECT 'open' AS kind, '' AS key, 1 AS n FROM human_tasks AS t WHERE t.state = 'ready' UNION ALL "
 "SELECT 'held', t.assignee, 1 FROM human_tasks AS t WHERE t.state = 'ready' AND t.assignee IS NOT "
 "NULL UNION ALL SELECT 'unclaimed', t.candidate_group, 1 FROM human_tasks AS t WHERE t.state = "
 "'ready' AND t.assignee IS NULL AND t.candidate_group IS NOT NULL UNION ALL SELECT 'ruled', "
 "t.candidate_group, 1 FROM human_tasks AS t WHERE t.state = 'ready' AND t.assignee IS NULL AND "
 't.candidate_group IS NOT NULL AND (t.excludes_workers OR t.exclude_entered_by)')

TRIGGERS = ("task_counts_ai", "task_counts_au", "task_counts_ad")
HELD_SINCE = "ix_human_tasks_held_since"
COMPLETED_BY_AT = "ix_human_tasks_completed_by_at"
RULED = "ix_human_tasks_ruled"
RULED_SQL = {"sqlite": "state = 'ready' AND assignee IS NULL AND (excludes_workers = 1 OR exclude_entered_by = 1)",
             "postgresql": "state = 'ready' AND assignee IS NULL AND (excludes_workers OR exclude_entered_by)"}


def upgrade():
    op.create_table(
        "task_counts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_task_counts_key", "task_counts", ["kind", "key", "n"])
    op.execute(f"INSERT INTO task_counts (kind, key, n) SELECT kind, key, sum(n) FROM ({EVERY_COUNT}) AS every_count "
               "GROUP BY kind, key")
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_UP if postgres else SQLITE_UP:
        op.execute(statement)
    op.create_index(HELD_SINCE, "human_tasks", ["assignee", sa.text("coalesce(claimed_at, created_at)")],
                    sqlite_where=sa.text("state = 'ready'"), postgresql_where=sa.text("state = 'ready'"))
    op.create_index(COMPLETED_BY_AT, "human_tasks", ["completed_by", "completed_at"],
                    sqlite_where=sa.text("state = 'completed'"), postgresql_where=sa.text("state = 'completed'"))
    op.create_index(RULED, "human_tasks", ["complaint_id", "candidate_group"],
                    sqlite_where=sa.text(RULED_SQL["sqlite"]), postgresql_where=sa.text(RULED_SQL["postgresql"]))


def downgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    op.drop_index(RULED, table_name="human_tasks")
    op.drop_index(COMPLETED_BY_AT, table_name="human_tasks")
    op.drop_index(HELD_SINCE, table_name="human_tasks")
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON human_tasks" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS task_counts_moved()")
    op.drop_index("ix_task_counts_key", table_name="task_counts")
    op.drop_table("task_counts")
