"""workload counts: the open tasks each person holds per due day and the tasks they
completed per day, kept as delta rows by the task counts' triggers (models/task_counts.py),
so the workload page's overdue and "completed in the last 7 days" figures sum a few days'
counts instead of counting each person's tasks.

The triggers now also fire on a change of due_at, completed_by or completed_at and on
completed rows. The upgrade replaces them and counts the tasks already there, with
human_tasks locked against writes on PostgreSQL meanwhile (a change between the count and
the new triggers would be missed). The SQL is written out here: a revision never imports
application code, which may change after it is written.

Revision ID: c5d8e3a1f7b2
Revises: a4c7e2f9b1d3
Create Date: 2026-12-03 18:30:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c5d8e3a1f7b2'
down_revision = 'a4c7e2f9b1d3'
branch_labels = None
depends_on = None

SQLITE = ("CREATE TRIGGER IF NOT EXISTS task_counts_ai AFTER INSERT ON human_tasks WHEN new.state IN ('ready', "
 "'completed') BEGIN INSERT INTO task_counts (kind, key, n) SELECT kind, key, sum(n) FROM (SELECT 'open' AS "
 "kind, '' AS key, 1 AS n WHERE new.state = 'ready' UNION ALL SELECT 'held', new.assignee, 1 WHERE new.state "
 "= 'ready' AND new.assignee IS NOT NULL UNION ALL SELECT 'unclaimed', new.candidate_group, 1 WHERE "
 "new.state = 'ready' AND new.assignee IS NULL AND new.candidate_group IS NOT NULL UNION ALL SELECT 'ruled', "
 "new.candidate_group, 1 WHERE new.state = 'ready' AND new.assignee IS NULL AND new.candidate_group IS NOT "
 "NULL AND (new.excludes_workers OR new.exclude_entered_by) UNION ALL SELECT 'due ' || substr(new.due_at, 1, "
 "10), new.assignee, 1 WHERE new.state = 'ready' AND new.assignee IS NOT NULL AND new.due_at IS NOT NULL "
 "UNION ALL SELECT 'done ' || substr(new.completed_at, 1, 10), new.completed_by, 1 WHERE new.state = "
 "'completed' AND new.completed_by IS NOT NULL AND new.completed_at IS NOT NULL) AS moved GROUP BY kind, key "
 'HAVING sum(n) <> 0; END',
 'CREATE TRIGGER IF NOT EXISTS task_counts_au AFTER UPDATE OF state, assignee, candidate_group, '
 'excludes_workers, exclude_entered_by, due_at, completed_by, completed_at ON human_tasks WHEN old.state IS '
 'NOT new.state OR old.assignee IS NOT new.assignee OR old.candidate_group IS NOT new.candidate_group OR '
 'old.excludes_workers IS NOT new.excludes_workers OR old.exclude_entered_by IS NOT new.exclude_entered_by '
 'OR old.due_at IS NOT new.due_at OR old.completed_by IS NOT new.completed_by OR old.completed_at IS NOT '
 "new.completed_at BEGIN INSERT INTO task_counts (kind, key, n) SELECT kind, key, sum(n) FROM (SELECT 'open' "
 "AS kind, '' AS key, -1 AS n WHERE old.state = 'ready' UNION ALL SELECT 'held', old.assignee, -1 WHERE "
 "old.state = 'ready' AND old.assignee IS NOT NULL UNION ALL SELECT 'unclaimed', old.candidate_group, -1 "
 "WHERE old.state = 'ready' AND old.assignee IS NULL AND old.candidate_group IS NOT NULL UNION ALL SELECT "
 "'ruled', old.candidate_group, -1 WHERE old.state = 'ready' AND old.assignee IS NULL AND "
 "old.candidate_group IS NOT NULL AND (old.excludes_workers OR old.exclude_entered_by) UNION ALL SELECT 'due "
 "' || substr(old.due_at, 1, 10), old.assignee, -1 WHERE old.state = 'ready' AND old.assignee IS NOT NULL "
 "AND old.due_at IS NOT NULL UNION ALL SELECT 'done ' || substr(old.completed_at, 1, 10), old.completed_by, "
 "-1 WHERE old.state = 'completed' AND old.completed_by IS NOT NULL AND old.completed_at IS NOT NULL UNION "
 "ALL SELECT 'open' AS kind, '' AS key, 1 AS n WHERE new.state = 'ready' UNION ALL SELECT 'held', "
 "new.assignee, 1 WHERE new.state = 'ready' AND new.assignee IS NOT NULL UNION ALL SELECT 'unclaimed', "
 "new.candidate_group, 1 WHERE new.state = 'ready' AND new.assignee IS NULL AND new.candidate_group IS NOT "
 "NULL UNION ALL SELECT 'ruled', new.candidate_group, 1 WHERE new.state = 'ready' AND new.assignee IS NULL "
 'AND new.candidate_group IS NOT NULL AND (new.excludes_workers OR new.exclude_entered_by) UNION ALL SELECT '
 "'due ' || substr(new.due_at, 1, 10), new.assignee, 1 WHERE new.state = 'ready' AND new.assignee IS NOT "
 "NULL AND new.due_at IS NOT NULL UNION ALL SELECT 'done ' || substr(new.completed_at, 1, 10), "
 "new.completed_by, 1 WHERE new.state = 'completed' AND new.completed_by IS NOT NULL AND new.completed_at IS "
 'NOT NULL) AS moved GROUP BY kind, key HAVING sum(n) <> 0; END',
 "CREATE TRIGGER IF NOT EXISTS task_counts_ad AFTER DELETE ON human_tasks WHEN old.state IN ('ready', "
 "'completed') BEGIN INSERT INTO task_counts (kind, key, n) SELECT kind, key, sum(n) FROM (SELECT 'open' AS "
 "kind, '' AS key, -1 AS n WHERE old.state = 'ready' UNION ALL SELECT 'held', old.assignee, -1 WHERE "
 "old.state = 'ready' AND old.assignee IS NOT NULL UNION ALL SELECT 'unclaimed', old.candidate_group, -1 "
 "WHERE old.state = 'ready' AND old.assignee IS NULL AND old.candidate_group IS NOT NULL UNION ALL SELECT "
 "'ruled', old.candidate_group, -1 WHERE old.state = 'ready' AND old.assignee IS NULL AND "
 "old.candidate_group IS NOT NULL AND (old.excludes_workers OR old.exclude_entered_by) UNION ALL SELECT 'due "
 "' || substr(old.due_at, 1, 10), old.assignee, -1 WHERE old.state = 'ready' AND old.assignee IS NOT NULL "
 "AND old.due_at IS NOT NULL UNION ALL SELECT 'done ' || substr(old.completed_at, 1, 10), old.completed_by, "
 "-1 WHERE old.state = 'completed' AND old.completed_by IS NOT NULL AND old.completed_at IS NOT NULL) AS "
 'moved GROUP BY kind, key HAVING sum(n) <> 0; END')
POSTGRES = ('CREATE OR REPLACE FUNCTION task_counts_moved() RETURNS trigger LANGUAGE plpgsql AS $$\n'
 '    BEGIN\n'
 "      IF TG_OP = 'INSERT' THEN INSERT INTO task_counts (kind, key, n) SELECT kind, key, sum(n) FROM "
 "(SELECT 'open' AS kind, '' AS key, 1 AS n WHERE new.state = 'ready' UNION ALL SELECT 'held', new.assignee, "
 "1 WHERE new.state = 'ready' AND new.assignee IS NOT NULL UNION ALL SELECT 'unclaimed', "
 "new.candidate_group, 1 WHERE new.state = 'ready' AND new.assignee IS NULL AND new.candidate_group IS NOT "
 "NULL UNION ALL SELECT 'ruled', new.candidate_group, 1 WHERE new.state = 'ready' AND new.assignee IS NULL "
 'AND new.candidate_group IS NOT NULL AND (new.excludes_workers OR new.exclude_entered_by) UNION ALL SELECT '
 "'due ' || to_char(new.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), new.assignee, 1 WHERE new.state = 'ready' "
 "AND new.assignee IS NOT NULL AND new.due_at IS NOT NULL UNION ALL SELECT 'done ' || "
 "to_char(new.completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), new.completed_by, 1 WHERE new.state = "
 "'completed' AND new.completed_by IS NOT NULL AND new.completed_at IS NOT NULL) AS moved GROUP BY kind, key "
 'HAVING sum(n) <> 0;\n'
 "      ELSIF TG_OP = 'DELETE' THEN INSERT INTO task_counts (kind, key, n) SELECT kind, key, sum(n) FROM "
 "(SELECT 'open' AS kind, '' AS key, -1 AS n WHERE old.state = 'ready' UNION ALL SELECT 'held', "
 "old.assignee, -1 WHERE old.state = 'ready' AND old.assignee IS NOT NULL UNION ALL SELECT 'unclaimed', "
 "old.candidate_group, -1 WHERE old.state = 'ready' AND old.assignee IS NULL AND old.candidate_group IS NOT "
 "NULL UNION ALL SELECT 'ruled', old.candidate_group, -1 WHERE old.state = 'ready' AND old.assignee IS NULL "
 'AND old.candidate_group IS NOT NULL AND (old.excludes_workers OR old.exclude_entered_by) UNION ALL SELECT '
 "'due ' || to_char(old.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), old.assignee, -1 WHERE old.state = 'ready' "
 "AND old.assignee IS NOT NULL AND old.due_at IS NOT NULL UNION ALL SELECT 'done ' || "
 "to_char(old.completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), old.completed_by, -1 WHERE old.state = "
 "'completed' AND old.completed_by IS NOT NULL AND old.completed_at IS NOT NULL) AS moved GROUP BY kind, key "
 'HAVING sum(n) <> 0;\n'
 "      ELSE INSERT INTO task_counts (kind, key, n) SELECT kind, key, sum(n) FROM (SELECT 'open' AS kind, '' "
 "AS key, -1 AS n WHERE old.state = 'ready' UNION ALL SELECT 'held', old.assignee, -1 WHERE old.state = "
 "'ready' AND old.assignee IS NOT NULL UNION ALL SELECT 'unclaimed', old.candidate_group, -1 WHERE old.state "
 "= 'ready' AND old.assignee IS NULL AND old.candidate_group IS NOT NULL UNION ALL SELECT 'ruled', "
 "old.candidate_group, -1 WHERE old.state = 'ready' AND old.assignee IS NULL AND old.candidate_group IS NOT "
 "NULL AND (old.excludes_workers OR old.exclude_entered_by) UNION ALL SELECT 'due ' || to_char(old.due_at AT "
 "TIME ZONE 'UTC', 'YYYY-MM-DD'), old.assignee, -1 WHERE old.state = 'ready' AND old.assignee IS NOT NULL "
 "AND old.due_at IS NOT NULL UNION ALL SELECT 'done ' || to_char(old.completed_at AT TIME ZONE 'UTC', "
 "'YYYY-MM-DD'), old.completed_by, -1 WHERE old.state = 'completed' AND old.completed_by IS NOT NULL AND "
 "old.completed_at IS NOT NULL UNION ALL SELECT 'open' AS kind, '' AS key, 1 AS n WHERE new.state = 'ready' "
 "UNION ALL SELECT 'held', new.assignee, 1 WHERE new.state = 'ready' AND new.assignee IS NOT NULL UNION ALL "
 "SELECT 'unclaimed', new.candidate_group, 1 WHERE new.state = 'ready' AND new.assignee IS NULL AND "
 "new.candidate_group IS NOT NULL UNION ALL SELECT 'ruled', new.candidate_group, 1 WHERE new.state = 'ready' "
 'AND new.assignee IS NULL AND new.candidate_group IS NOT NULL AND (new.excludes_workers OR '
 "new.exclude_entered_by) UNION ALL SELECT 'due ' || to_char(new.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), "
 "new.assignee, 1 WHERE new.state = 'ready' AND new.assignee IS NOT NULL AND new.due_at IS NOT NULL UNION "
 "ALL SELECT 'done ' || to_char(new.completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), new.completed_by, 1 "
 "WHERE new.state = 'completed' AND new.completed_by IS NOT NULL AND new.completed_at IS NOT NULL) AS moved "
 'GROUP BY kind, key HAVING sum(n) <> 0;\n'
 '      END IF;\n'
 '      RETURN NULL;\n'
 '    END $$',
 'CREATE OR REPLACE TRIGGER task_counts_ai AFTER INSERT ON human_tasks FOR EACH ROW WHEN (new.state IN '
 "('ready', 'completed')) EXECUTE FUNCTION task_counts_moved()",
 'CREATE OR REPLACE TRIGGER task_counts_au AFTER UPDATE OF state, assignee, candidate_group, '
 'excludes_workers, exclude_entered_by, due_at, completed_by, completed_at ON human_tasks FOR EACH ROW WHEN '
 '(old.state IS DISTINCT FROM new.state OR old.assignee IS DISTINCT FROM new.assignee OR old.candidate_group '
 'IS DISTINCT FROM new.candidate_group OR old.excludes_workers IS DISTINCT FROM new.excludes_workers OR '
 'old.exclude_entered_by IS DISTINCT FROM new.exclude_entered_by OR old.due_at IS DISTINCT FROM new.due_at '
 'OR old.completed_by IS DISTINCT FROM new.completed_by OR old.completed_at IS DISTINCT FROM '
 'new.completed_at) EXECUTE FUNCTION task_counts_moved()',
 'CREATE OR REPLACE TRIGGER task_counts_ad AFTER DELETE ON human_tasks FOR EACH ROW WHEN (old.state IN '
 "('ready', 'completed')) EXECUTE FUNCTION task_counts_moved()")
NEW_COUNTS = {
    'sqlite': (
        "SELECT 'open' AS kind, '' AS key, 1 AS n FROM human_tasks AS t WHERE t.state = 'ready' UNION "
        "ALL SELECT 'held', t.assignee, 1 FROM human_tasks AS t WHERE t.state = 'ready' AND t.assignee "
        "IS NOT NULL UNION ALL SELECT 'unclaimed', t.candidate_group, 1 FROM human_tasks AS t WHERE "
        "t.state = 'ready' AND t.assignee IS NULL AND t.candidate_group IS NOT NULL UNION ALL SELECT "
        "'ruled', t.candidate_group, 1 FROM human_tasks AS t WHERE t.state = 'ready' AND t.assignee IS "
        'NULL AND t.candidate_group IS NOT NULL AND (t.excludes_workers OR t.exclude_entered_by) UNION '
        "ALL SELECT 'due ' || substr(t.due_at, 1, 10), t.assignee, 1 FROM human_tasks AS t WHERE t.state "
        "= 'ready' AND t.assignee IS NOT NULL AND t.due_at IS NOT NULL UNION ALL SELECT 'done ' || "
        'substr(t.completed_at, 1, 10), t.completed_by, 1 FROM human_tasks AS t WHERE t.state = '
        "'completed' AND t.completed_by IS NOT NULL AND t.completed_at IS NOT NULL"),
    'postgresql': (
        "SELECT 'open' AS kind, '' AS key, 1 AS n FROM human_tasks AS t WHERE t.state = 'ready' UNION "
        "ALL SELECT 'held', t.assignee, 1 FROM human_tasks AS t WHERE t.state = 'ready' AND t.assignee "
        "IS NOT NULL UNION ALL SELECT 'unclaimed', t.candidate_group, 1 FROM human_tasks AS t WHERE "
        "t.state = 'ready' AND t.assignee IS NULL AND t.candidate_group IS NOT NULL UNION ALL SELECT "
        "'ruled', t.candidate_group, 1 FROM human_tasks AS t WHERE t.state = 'ready' AND t.assignee IS "
        'NULL AND t.candidate_group IS NOT NULL AND (t.excludes_workers OR t.exclude_entered_by) UNION '
        "ALL SELECT 'due ' || to_char(t.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), t.assignee, 1 FROM "
        "human_tasks AS t WHERE t.state = 'ready' AND t.assignee IS NOT NULL AND t.due_at IS NOT NULL "
        "UNION ALL SELECT 'done ' || to_char(t.completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), "
        "t.completed_by, 1 FROM human_tasks AS t WHERE t.state = 'completed' AND t.completed_by IS NOT "
        'NULL AND t.completed_at IS NOT NULL'),
}

OLD_SQLITE = ("CREATE TRIGGER IF NOT EXISTS task_counts_ai AFTER INSERT ON human_tasks WHEN new.state = 'ready' BEGIN "
 "INSERT INTO task_counts (kind, key, n) SELECT kind, key, sum(n) FROM (SELECT 'open' AS kind, '' AS key, 1 "
 "AS n WHERE new.state = 'ready' UNION ALL SELECT 'held', new.assignee, 1 WHERE new.state = 'ready' AND "
 "new.assignee IS NOT NULL UNION ALL SELECT 'unclaimed', new.candidate_group, 1 WHERE new.state = 'ready' "
 "AND new.assignee IS NULL AND new.candidate_group IS NOT NULL UNION ALL SELECT 'ruled', "
 "new.candidate_group, 1 WHERE new.state = 'ready' AND new.assignee IS NULL AND new.candidate_group IS NOT "
 'NULL AND (new.excludes_workers OR new.exclude_entered_by)) AS moved GROUP BY kind, key HAVING sum(n) <> 0; '
 'END',
 'CREATE TRIGGER IF NOT EXISTS task_counts_au AFTER UPDATE OF state, assignee, candidate_group, '
 'excludes_workers, exclude_entered_by ON human_tasks WHEN old.state IS NOT new.state OR old.assignee IS NOT '
 'new.assignee OR old.candidate_group IS NOT new.candidate_group OR old.excludes_workers IS NOT '
 'new.excludes_workers OR old.exclude_entered_by IS NOT new.exclude_entered_by BEGIN INSERT INTO task_counts '
 "(kind, key, n) SELECT kind, key, sum(n) FROM (SELECT 'open' AS kind, '' AS key, -1 AS n WHERE old.state = "
 "'ready' UNION ALL SELECT 'held', old.assignee, -1 WHERE old.state = 'ready' AND old.assignee IS NOT NULL "
 "UNION ALL SELECT 'unclaimed', old.candidate_group, -1 WHERE old.state = 'ready' AND old.assignee IS NULL "
 "AND old.candidate_group IS NOT NULL UNION ALL SELECT 'ruled', old.candidate_group, -1 WHERE old.state = "
 "'ready' AND old.assignee IS NULL AND old.candidate_group IS NOT NULL AND (old.excludes_workers OR "
 "old.exclude_entered_by) UNION ALL SELECT 'open' AS kind, '' AS key, 1 AS n WHERE new.state = 'ready' UNION "
 "ALL SELECT 'held', new.assignee, 1 WHERE new.state = 'ready' AND new.assignee IS NOT NULL UNION ALL SELECT "
 "'unclaimed', new.candidate_group, 1 WHERE new.state = 'ready' AND new.assignee IS NULL AND "
 "new.candidate_group IS NOT NULL UNION ALL SELECT 'ruled', new.candidate_group, 1 WHERE new.state = 'ready' "
 'AND new.assignee IS NULL AND new.candidate_group IS NOT NULL AND (new.excludes_workers OR '
 'new.exclude_entered_by)) AS moved GROUP BY kind, key HAVING sum(n) <> 0; END',
 "CREATE TRIGGER IF NOT EXISTS task_counts_ad AFTER DELETE ON human_tasks WHEN old.state = 'ready' BEGIN "
 "INSERT INTO task_counts (kind, key, n) SELECT kind, key, sum(n) FROM (SELECT 'open' AS kind, '' AS key, -1 "
 "AS n WHERE old.state = 'ready' UNION ALL SELECT 'held', old.assignee, -1 WHERE old.state = 'ready' AND "
 "old.assignee IS NOT NULL UNION ALL SELECT 'unclaimed', old.candidate_group, -1 WHERE old.state = 'ready' "
 "AND old.assignee IS NULL AND old.candidate_group IS NOT NULL UNION ALL SELECT 'ruled', "
 "old.candidate_group, -1 WHERE old.state = 'ready' AND old.assignee IS NULL AND old.candidate_group IS NOT "
 'NULL AND (old.excludes_workers OR old.exclude_entered_by)) AS moved GROUP BY kind, key HAVING sum(n) <> 0; '
 'END')
OLD_POSTGRES = ('CREATE OR REPLACE FUNCTION task_counts_moved() RETURNS trigger LANGUAGE plpgsql AS $$\n'
 '    BEGIN\n'
 "      IF TG_OP = 'INSERT' THEN INSERT INTO task_counts (kind, key, n) SELECT kind, key, sum(n) FROM "
 "(SELECT 'open' AS kind, '' AS key, 1 AS n WHERE new.state = 'ready' UNION ALL SELECT 'held', new.assignee, "
 "1 WHERE new.state = 'ready' AND new.assignee IS NOT NULL UNION ALL SELECT 'unclaimed', "
 "new.candidate_group, 1 WHERE new.state = 'ready' AND new.assignee IS NULL AND new.candidate_group IS NOT "
 "NULL UNION ALL SELECT 'ruled', new.candidate_group, 1 WHERE new.state = 'ready' AND new.assignee IS NULL "
 'AND new.candidate_group IS NOT NULL AND (new.excludes_workers OR new.exclude_entered_by)) AS moved GROUP '
 'BY kind, key HAVING sum(n) <> 0;\n'
 "      ELSIF TG_OP = 'DELETE' THEN INSERT INTO task_counts (kind, key, n) SELECT kind, key, sum(n) FROM "
 "(SELECT 'open' AS kind, '' AS key, -1 AS n WHERE old.state = 'ready' UNION ALL SELECT 'held', "
 "old.assignee, -1 WHERE old.state = 'ready' AND old.assignee IS NOT NULL UNION ALL SELECT 'unclaimed', "
 "old.candidate_group, -1 WHERE old.state = 'ready' AND old.assignee IS NULL AND old.candidate_group IS NOT "
 "NULL UNION ALL SELECT 'ruled', old.candidate_group, -1 WHERE old.state = 'ready' AND old.assignee IS NULL "
 'AND old.candidate_group IS NOT NULL AND (old.excludes_workers OR old.exclude_entered_by)) AS moved GROUP '
 'BY kind, key HAVING sum(n) <> 0;\n'
 "      ELSE INSERT INTO task_counts (kind, key, n) SELECT kind, key, sum(n) FROM (SELECT 'open' AS kind, '' "
 "AS key, -1 AS n WHERE old.state = 'ready' UNION ALL SELECT 'held', old.assignee, -1 WHERE old.state = "
 "'ready' AND old.assignee IS NOT NULL UNION ALL SELECT 'unclaimed', old.candidate_group, -1 WHERE old.state "
 "= 'ready' AND old.assignee IS NULL AND old.candidate_group IS NOT NULL UNION ALL SELECT 'ruled', "
 "old.candidate_group, -1 WHERE old.state = 'ready' AND old.assignee IS NULL AND old.candidate_group IS NOT "
 "NULL AND (old.excludes_workers OR old.exclude_entered_by) UNION ALL SELECT 'open' AS kind, '' AS key, 1 AS "
 "n WHERE new.state = 'ready' UNION ALL SELECT 'held', new.assignee, 1 WHERE new.state = 'ready' AND "
 "new.assignee IS NOT NULL UNION ALL SELECT 'unclaimed', new.candidate_group, 1 WHERE new.state = 'ready' "
 "AND new.assignee IS NULL AND new.candidate_group IS NOT NULL UNION ALL SELECT 'ruled', "
 "new.candidate_group, 1 WHERE new.state = 'ready' AND new.assignee IS NULL AND new.candidate_group IS NOT "
 'NULL AND (new.excludes_workers OR new.exclude_entered_by)) AS moved GROUP BY kind, key HAVING sum(n) <> '
 '0;\n'
 '      END IF;\n'
 '      RETURN NULL;\n'
 '    END $$',
 'CREATE OR REPLACE TRIGGER task_counts_ai AFTER INSERT ON human_tasks FOR EACH ROW WHEN (new.state = '
 "'ready') EXECUTE FUNCTION task_counts_moved()",
 'CREATE OR REPLACE TRIGGER task_counts_au AFTER UPDATE OF state, assignee, candidate_group, '
 'excludes_workers, exclude_entered_by ON human_tasks FOR EACH ROW WHEN (old.state IS DISTINCT FROM '
 'new.state OR old.assignee IS DISTINCT FROM new.assignee OR old.candidate_group IS DISTINCT FROM '
 'new.candidate_group OR old.excludes_workers IS DISTINCT FROM new.excludes_workers OR '
 'old.exclude_entered_by IS DISTINCT FROM new.exclude_entered_by) EXECUTE FUNCTION task_counts_moved()',
 'CREATE OR REPLACE TRIGGER task_counts_ad AFTER DELETE ON human_tasks FOR EACH ROW WHEN (old.state = '
 "'ready') EXECUTE FUNCTION task_counts_moved()")

TRIGGERS = ("task_counts_ai", "task_counts_au", "task_counts_ad")
# Only the new kinds: the others are counted already, and their triggers' part is unchanged.
NEW_KINDS = "kind LIKE 'due %' OR kind LIKE 'done %'"


def _replace_triggers(statements):
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("LOCK TABLE human_tasks IN SHARE MODE")
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON human_tasks" if postgres else ""))
    for statement in statements[postgres]:
        op.execute(statement)


def upgrade():
    _replace_triggers({False: SQLITE, True: POSTGRES})
    dialect = op.get_bind().dialect.name
    op.execute(f"INSERT INTO task_counts (kind, key, n) SELECT kind, key, sum(n) FROM ({NEW_COUNTS[dialect]}) "
               f"AS every_count WHERE {NEW_KINDS} GROUP BY kind, key")


def downgrade():
    _replace_triggers({False: OLD_SQLITE, True: OLD_POSTGRES})
    op.execute(f"DELETE FROM task_counts WHERE {NEW_KINDS}")
