"""Shared platform code every domain uses: errors, clock, paging, phones, text, calendar rules,
one-time codes, the outbox, the loader base. It imports no domain."""
