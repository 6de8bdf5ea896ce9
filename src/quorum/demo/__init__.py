"""The seeded demo: users, one project per task type, items written for it."""
