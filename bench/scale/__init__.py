"""`python -m bench.scale`: a 1,000-metric project end to end on DuckDB."""
