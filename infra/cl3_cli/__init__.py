"""The `cl3` command: local services, API, workers, scheduler, sandbox, tokens, demo."""
