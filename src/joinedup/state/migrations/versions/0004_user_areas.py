"""web_user.areas: the areas (organisation codes) an inquiry investigator's account is scoped to.

Revision ID: 0004_user_areas
Revises: 0003_web
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_user_areas"
down_revision = "0003_web"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add web_user.areas (comma-separated organisation codes; NULL: no area bound)."""
    with op.batch_alter_table("web_user") as batch:  # batch: SQLite cannot alter a table in place
        batch.add_column(sa.Column("areas", sa.Text, nullable=True))


def downgrade() -> None:
    """Drop web_user.areas."""
    with op.batch_alter_table("web_user") as batch:
        batch.drop_column("areas")
