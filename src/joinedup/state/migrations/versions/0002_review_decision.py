"""review_decision: practitioners' decisions on children in the risk review queue.

Revision ID: 0002_review_decision
Revises: 0001_link_judgement
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_review_decision"
down_revision = "0001_link_judgement"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create review_decision."""
    op.create_table(
        "review_decision",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.String(200), nullable=False),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("queue_run_id", sa.String(100), nullable=True),
        sa.Column("queue_as_of", sa.Date, nullable=True),
        sa.Column("score", sa.Integer, nullable=True),
        sa.Column("reasons", sa.Text, nullable=True),
        sa.CheckConstraint("decision IN ('no-concern', 'referred', 'action-taken')", name="ck_review_decision_decision"),
    )
    op.create_index("ix_review_decision_person_id", "review_decision", ["person_id"])


def downgrade() -> None:
    """Drop review_decision."""
    op.drop_index("ix_review_decision_person_id", table_name="review_decision")
    op.drop_table("review_decision")
