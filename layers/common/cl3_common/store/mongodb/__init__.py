"""The MongoDB backend of the store layer (docker compose and AWS)."""
