"""Scheduled rendering and delivery of reports (reportgen schedule)."""
