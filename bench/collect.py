"""Issue 3's collection benchmark, as one command: `python bench/collect.py [--help]`.

See bench/collector/main.py for what it measures; results go to bench/collect_RESULTS.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` and `tripl_cli` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.collector.main import main

if __name__ == "__main__":
    raise SystemExit(main())
