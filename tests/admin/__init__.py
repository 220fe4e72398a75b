"""Specs for admin."""
