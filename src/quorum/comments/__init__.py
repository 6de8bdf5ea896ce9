"""Comment threads on items."""
