from __future__ import annotations

import json


def test_health_reports_both_backends_up(api):
    response = api.http.get("/health")
    assert response.status_code == 200
    assert json.loads(response.body) == {
        "status": "ok",
        "redis": True,
        "mongo": True,
        "store": {"backend": "sqlite", "ok": True},
    }
