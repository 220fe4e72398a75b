"""Tests of the session day."""
