"""The session day's GraphQL: the live board, the doctor's queue mutations."""
