"""Layer 4: one run — plan → execute → store → compose, with per-metric failure isolation."""
