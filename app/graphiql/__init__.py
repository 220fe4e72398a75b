"""GraphiQL served by MediMyth itself: committed static assets, SRI and a strict CSP."""
