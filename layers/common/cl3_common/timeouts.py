"""How long a caller waits for a backing service: short on the request path, longer for jobs.

On the request path (the API, the scheduled Lambda function) a stalled or dead backend must
turn into a 503 in about two seconds, so a slow dependency never piles up requests and
`/health` never hangs. Workers wait longer where a long wait is legitimate (a big bulk write,
RQ's blocking dequeue), and then wait out whole outages with backoff (docs/architecture.md,
"Outages").
"""

from __future__ import annotations

# Request path: connecting, then waiting for one reply (Redis command, store query, HTTP call).
REQUEST_CONNECT_S = 1.0
REQUEST_READ_S = 2.0
# Request path: how long a request waits for another process filling a shared cache entry.
REQUEST_WAIT_S = 2.0

# Jobs: one Redis command (their outages are waited out by the job runner, not the socket).
JOB_REDIS_TIMEOUT_S = 5.0
# The RQ worker's own connection blocks in BLPOP between jobs; its socket must outwait a Redis
# stall of a few minutes, or the worker process would quit while its work horse runs on.
WORKER_REDIS_TIMEOUT_S = 300.0
