"""Imported portal accounts: the import service (R01-R03) and the `flask accounts` commands."""
