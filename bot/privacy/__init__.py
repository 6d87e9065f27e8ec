"""Privacy: masking what must not be kept, retention, a customer's export and erasure, and
the log of who opened whose data (docs/privacy.md)."""
