"""`python -m bench.detect.synthetic`: the synthetic detection suite."""

from __future__ import annotations

from bench.detect.synthetic.run import main

raise SystemExit(main())
