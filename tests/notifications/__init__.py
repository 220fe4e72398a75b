"""Specs for notifications."""
