"""Live HTML preview of a report while analysts write (reportgen preview)."""
