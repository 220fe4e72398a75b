"""Accounts in GraphQL: the Account type, sign-up, sign-in, passwords, admin review."""
