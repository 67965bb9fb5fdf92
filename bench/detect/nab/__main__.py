"""Entry point: `python -m bench.detect.nab`."""

from __future__ import annotations

import sys

from bench.detect.nab.run import main

sys.exit(main())
