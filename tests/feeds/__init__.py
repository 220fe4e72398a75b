"""Calendar feeds: what a calendar app sees, checked against what the API reports."""
