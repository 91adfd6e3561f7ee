"""The administrator's security page: throttles, sessions of other users, two-factor policy."""
