"""Benchmarks: each script prints the figures it reproduces and the command to rerun it."""
