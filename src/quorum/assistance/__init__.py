"""The measured effect of model assistance on a project's labels: one report, a section per kind."""
