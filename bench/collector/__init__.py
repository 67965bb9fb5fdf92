"""`python bench/collect.py`: tripl run vs per-metric queries vs MetricFlow (issue 3)."""
