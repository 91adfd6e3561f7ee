"""Synchronization pages: the live status of a sync run and the Sync history."""
