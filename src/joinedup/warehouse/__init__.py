"""The warehouse: DuckDB by default; schema versions and migrations; SQL kept portable."""

from joinedup.warehouse.engine import ENGINES, WarehouseError, connect, migrate, migrations, schema_version, transpile

__all__ = ["ENGINES", "WarehouseError", "connect", "migrate", "migrations", "schema_version", "transpile"]
