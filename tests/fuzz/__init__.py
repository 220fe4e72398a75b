"""Fuzzing the live API with schemathesis: `make fuzz` (python -m tests.fuzz.run)."""
