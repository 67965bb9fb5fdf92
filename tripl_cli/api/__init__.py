"""Layer 5: the Python API — one function per command; owns opening and closing connections."""
