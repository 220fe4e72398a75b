"""Accounts: doctors' sign-up and profiles, sign-in, passwords, access tokens, admin review."""
