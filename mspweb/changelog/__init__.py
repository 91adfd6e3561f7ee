"""The change log's pages, queries, export, command line and retention (issue 11)."""
