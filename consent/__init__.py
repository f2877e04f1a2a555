"""Consent: data subjects authorise third parties, revoke, see every use, complain (Art. 27)."""
