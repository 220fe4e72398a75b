"""Specs for who may call what."""
