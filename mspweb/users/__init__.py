"""Console users: creating them (CLI and customer setup) and their rules."""
