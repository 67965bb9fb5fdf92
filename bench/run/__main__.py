"""`python -m bench.run`."""

from bench.run.main import main

raise SystemExit(main())
