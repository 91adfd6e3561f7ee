"""Pages about one's own login: active sessions and two-factor sign-in (issue 15)."""
