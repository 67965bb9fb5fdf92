"""NAB v1.1 benchmark: our own scorer, a detector harness, and the report generator.

Run `python -m bench.detect.nab`; see `bench/detect/RESULTS.md` for the output.
"""
