"""Fusion Hub benchmarks: `python -m bench` (or `make bench`).

Not tests: the suite prints figures and writes them to ``bench/results/``; it asserts nothing and
never runs in `make test`. Everything it measures it starts itself, on 127.0.0.1 only, and stops
again at the end. See ``bench/README.md``.
"""
