"""AI judges: registered models that answer a project's items like annotators, kept apart from people."""
