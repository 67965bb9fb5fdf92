"""`python -m bench.scale`."""

from bench.scale.main import main

raise SystemExit(main())
