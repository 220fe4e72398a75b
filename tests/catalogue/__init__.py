"""Specs for the catalogue: the directory, the doctor page, specialties."""
