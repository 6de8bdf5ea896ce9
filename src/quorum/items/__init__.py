"""Items: import from files, browse, look up."""
