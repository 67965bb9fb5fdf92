"""`python -m bench.run`: tripl's compiled scan vs per-metric queries vs a bare scan."""
