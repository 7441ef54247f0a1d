"""The CL3 HTTP API: Chalice blueprints over the shared layer (no pandas here)."""
