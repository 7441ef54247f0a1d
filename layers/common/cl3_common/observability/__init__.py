"""What operators see: Prometheus metrics, structured logs, and the shared state of `/health`.

- `metrics`: every metric, defined once; `record`: the calls product code makes;
- `logs`: text or JSON log lines (LOG_FORMAT) and `log_event` for structured events;
- `jobs`: a job's start and end (log lines, metrics); `stores`: store call latency;
- `exposition` / `endpoint`: what `/metrics` serves, across a worker's forked work horses;
- `status` / `collectors` / `hosts`: bans, queue depths and the refresh's age, from Redis.

docs/operations.md ("Metrics and logs") lists the metrics and what each alert means.
"""
