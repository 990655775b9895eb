"""`kehoach demo`: a real plan played for a year, end to end."""
