"""Background jobs: the ``jobs`` table is the truth the UI reads; a Huey queue carries only job ids."""
