"""Managed Customers: the imported accounts' customers, their statuses (R15), setup actions."""
