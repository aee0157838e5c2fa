"""Benchmarks of the Sendblue integration: measurements printed as a table, not tests.

Run ``bench/run`` (or ``python -m bench`` from the repository root); the table is also
written to bench/results.md with the machine it ran on.
"""
