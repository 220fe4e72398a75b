"""The data layer: ORM models, the session manager and the embedded PostgreSQL launcher."""
