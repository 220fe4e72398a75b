"""Audit in GraphQL: the admins' view of the audit trail."""
