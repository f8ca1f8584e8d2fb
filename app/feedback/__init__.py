"""What people tell the service about its answers: captured answers and corrections, kept in a
real database (SQLite by default, PostgreSQL at scale) that Alembic migrations shape."""
