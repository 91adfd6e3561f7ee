"""The audit log page (administrators)."""
