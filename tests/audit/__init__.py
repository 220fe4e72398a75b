"""The audit trail: what is recorded, how admins read it, and that nothing can change it."""
