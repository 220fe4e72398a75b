"""Specs for accounts."""
