"""The HTTP edge: middleware that every request passes, and logging."""
