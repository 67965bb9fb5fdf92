"""Layer 1: reading a project from disk into validated, located definitions."""
