"""Seat usage history (issue 10): the backfill, the refresh of each sync, and its storage."""
