"""Benchmarks: each `bench/bench_*.py` has a `main()` that measures and prints; `python -m bench` runs them all.

Timings are printed and recorded in docs/benchmarks.md, never asserted in tests.
"""
