"""Fault drills against a real gunicorn and a private PostgreSQL: `make test-drills`."""
