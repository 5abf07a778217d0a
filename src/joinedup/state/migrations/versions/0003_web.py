"""web: user accounts, server-side sessions and the hash-chained audit log.

Revision ID: 0003_web
Revises: 0002_review_decision
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_web"
down_revision = "0002_review_decision"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create web_user, web_session and audit_log (append-only on PostgreSQL by trigger)."""
    op.create_table(
        "web_user",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("org", sa.String(12), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("totp_secret", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('analyst', 'investigator', 'practitioner', 'inquiry', 'auditor', 'admin')",
                           name="ck_web_user_role"),
    )
    op.create_table(
        "web_session",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, nullable=True),
        sa.Column("stage", sa.String(10), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("reasons", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("org", sa.String(12), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target", sa.String(400), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("detail", sa.Text, nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_log_actor_action", "audit_log", ["actor", "action", "at"])
    if op.get_bind().dialect.name == "postgresql":
        # the application only ever inserts; refuse UPDATE and DELETE so tampering needs a superuser's deliberate act
        op.execute("""CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS
                      $$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$""")
        op.execute("""CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
                      FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""")


def downgrade() -> None:
    """Drop the web tables."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    op.drop_index("ix_audit_log_actor_action", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("web_session")
    op.drop_table("web_user")
