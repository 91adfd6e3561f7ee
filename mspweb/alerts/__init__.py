"""Alerts: what needs attention in the user's scope (dashboard panel, page, e-mail digest)."""
