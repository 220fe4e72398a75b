"""Business logic: plain async functions over an AsyncSession, with keyword-only arguments."""
