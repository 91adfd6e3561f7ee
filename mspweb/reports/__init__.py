"""Reports (issue 10): License User report, seat usage over time, monthly billing."""
