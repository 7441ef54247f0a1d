"""Chalice entry point (API Gateway / Lambda handler `app.app`)."""

from chalicelib.factory import create_app

app = create_app()
