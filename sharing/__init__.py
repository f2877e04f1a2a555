"""Sharing between agencies and opening to society (Art. 9, 12-20)."""
