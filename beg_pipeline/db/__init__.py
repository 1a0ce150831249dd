"""Database: SQLAlchemy models, engine/session handling and Alembic migrations."""
