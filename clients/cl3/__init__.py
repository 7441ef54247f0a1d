"""CL3 for its users: `cl3.client`, a typed Python client of the CL3 HTTP API."""
