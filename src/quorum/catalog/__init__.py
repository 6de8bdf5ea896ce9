"""The task-type catalogue as shown to users (CLI); the data comes from the registry."""
