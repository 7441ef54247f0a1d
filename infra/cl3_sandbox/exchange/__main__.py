"""``python -m cl3_sandbox.exchange [--port 9100] [--latency-ms N]``."""

from .cli import main

raise SystemExit(main())
