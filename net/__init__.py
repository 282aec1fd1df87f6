"""Network answers every fetch in the product shares: one deadline, size limits (`bounded`).

`harvest/` (E-utilities) and `claims/` (pages to audit) both fetch through here; neither
imports the other.
"""
