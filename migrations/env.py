"""Alembic environment: async engine, the app's settings, and a lock against concurrent upgrades."""

import asyncio
from logging.config import fileConfig
from pathlib import Path

from alembic import context
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

import db.models
from db import embedded
from db.session import engine_options
from settings import Settings

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = db.models.Base.metadata

# Any constant works, as long as every MediMyth migration run uses the same one.
MIGRATION_LOCK_ID = 0x4D4D_4D49  # "MMMI"


def database_url() -> tuple[str, dict[str, object]]:
    explicit = config.attributes.get("database_url")
    settings = Settings.from_env()
    if explicit:
        settings = Settings(database_url=explicit, db_pool_mode=settings.db_pool_mode)
    elif settings.migrations_database_url is not None:
        settings = Settings(database_url=settings.migrations_database_url)
    elif settings.database_url is None:
        root = Path(__file__).resolve().parent.parent
        url = embedded.start(embedded.default_data_dir(root), database="medimyth")
        settings = Settings(database_url=url)
    url, options = engine_options(settings)
    return url, {"connect_args": options["connect_args"]}


def run_migrations_offline() -> None:
    url, _ = database_url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        # Two releases starting at once (or a release and a developer) must not both
        # migrate: the second waits here, then finds the schema already at head.
        # A transaction-level lock works through a transaction pooler too.
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        context.run_migrations()


async def run_async_migrations() -> None:
    url, options = database_url()
    connectable = create_async_engine(url, poolclass=pool.NullPool, **options)
    async with connectable.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await connectable.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_async_migrations())
