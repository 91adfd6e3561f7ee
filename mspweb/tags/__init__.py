"""The Tags page: every tag with its license count; rename across all licenses, delete (R09)."""
