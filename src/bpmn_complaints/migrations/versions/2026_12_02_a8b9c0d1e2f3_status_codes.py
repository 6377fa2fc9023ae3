"""a short status code per complaint, which letters quote and links are derived from

Each existing complaint gets a code now; the tokens already sent in their links keep
working (their hashes stay in ``status_token_hash``).

Revision ID: a8b9c0d1e2f3
Revises: f2a3b4c5d6e7
Create Date: 2026-12-02 12:00:00

"""
import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a8b9c0d1e2f3'
down_revision = 'f2a3b4c5d6e7'
branch_labels = None
depends_on = None

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # as bpmn_complaints/status_code.py at this revision


def _check(body: str) -> str:
    total, factor = 0, 2
    for char in reversed(body):
        addend = factor * ALPHABET.index(char)
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return ALPHABET[(32 - total % 32) % 32]


def _code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(9))
    return body + _check(body)


def upgrade():
    op.add_column("complaints", sa.Column("status_code", sa.String(length=10), nullable=True))
    bind = op.get_bind()
    ids = [row.id for row in bind.execute(sa.text("SELECT id FROM complaints"))]
    for start in range(0, len(ids), 1000):
        bind.execute(sa.text("UPDATE complaints SET status_code = :code WHERE id = :id"),
                     [{"id": i, "code": _code()} for i in ids[start:start + 1000]])


def downgrade():
    op.execute("ALTER TABLE complaints DROP COLUMN status_code")
