"""Benchmarks: one script per figure the README quotes (`make bench`).

Each `bench/bench_*.py` has a `main() -> int` that measures, prints its figures and returns
0 (or non-zero if it could not measure). Speed is reported as a ratio against a baseline
measured in the same run, never asserted in tests. Only 127.0.0.1 is ever contacted.
"""
