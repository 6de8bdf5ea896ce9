"""Quality math: agreement, aggregation and pairwise scoring.

Pure NumPy/SciPy: nothing here reads files, talks to a database or imports a web framework, so every
function can be tested (and reused by services, jobs and the CLI) without any infrastructure.
"""
