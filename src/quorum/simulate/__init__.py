"""Simulated annotators that work a project through the real HTTP API (stress test, benchmark, demo)."""
