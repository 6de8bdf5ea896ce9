"""Users, passwords, API tokens and the one place that decides access."""
