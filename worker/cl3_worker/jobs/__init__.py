"""RQ job functions: plain importable functions with JSON-friendly arguments."""
