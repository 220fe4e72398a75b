"""Calendar feeds: a doctor's iCalendar feed of their sessions, a patient's .ics of a booking."""
