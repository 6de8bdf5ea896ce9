"""Task types: one folder each, registered in ``registry``. Pure: no web, database or queue code."""
