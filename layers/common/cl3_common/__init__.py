"""Code shared by the Chalice handlers and the RQ workers (shipped as a Lambda layer)."""
