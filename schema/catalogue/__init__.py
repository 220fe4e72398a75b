"""The catalogue in GraphQL: Category and Doctor, the directory, specialties."""
