"""The HTTP application: API routes (and, later, pages) over the services."""
