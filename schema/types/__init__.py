"""GraphQL object types: each converts from the ORM explicitly and keeps foreign keys private."""
