"""Projects: task type and config, guidelines (versioned), policies, members."""
