"""The embedded SQLite backend of the store layer (the default; no server)."""
