"""Supervision of agencies (Art. 9, 28-30, 33, 35)."""
