"""Scheduling: a doctor's chambers (schedules) and vacations."""
