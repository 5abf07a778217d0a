"""link_judgement: people's same / not-same / unsure decisions on record pairs.

Revision ID: 0001_link_judgement
Revises:
Create Date: 2026-11-20
"""
import sqlalchemy as sa
from alembic import op

revision = "0001_link_judgement"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create link_judgement."""
    op.create_table(
        "link_judgement",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source_a", sa.String(200), nullable=False),
        sa.Column("record_a", sa.String(200), nullable=False),
        sa.Column("source_b", sa.String(200), nullable=False),
        sa.Column("record_b", sa.String(200), nullable=False),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by", sa.String(200), nullable=True),
        sa.CheckConstraint("decision IN ('same', 'not-same', 'unsure')", name="ck_link_judgement_decision"),
    )
    op.create_index("ix_link_judgement_pair", "link_judgement", ["source_a", "record_a", "source_b", "record_b"])


def downgrade() -> None:
    """Drop link_judgement."""
    op.drop_index("ix_link_judgement_pair", table_name="link_judgement")
    op.drop_table("link_judgement")
