"""Alembic environment: the URL comes from the caller (``beg db upgrade``), BEG_DATABASE_URL_MIGRACOES or
BEG_DATABASE_URL."""

from alembic import context

from beg_pipeline.db.engine import criar_engine
from beg_pipeline.db.models import Base
from beg_pipeline.settings import load_settings

config = context.config
url = config.get_main_option("sqlalchemy.url") or load_settings().resolved_migration_url


def run_migrations_online() -> None:
    engine = criar_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
