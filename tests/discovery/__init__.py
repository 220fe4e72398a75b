"""Specs for discovery."""
