"""Calendar feeds in GraphQL: the feed URL fields and rotating a doctor's feed."""
