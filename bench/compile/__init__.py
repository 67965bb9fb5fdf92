"""Compile benchmark: `python -m bench.compile` (see run.py)."""
