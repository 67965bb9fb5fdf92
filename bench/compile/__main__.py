"""`python -m bench.compile`."""

from bench.compile.run import main

raise SystemExit(main())
