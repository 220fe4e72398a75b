"""The session day: live state, the doctor's queue actions, estimates and the public board."""
