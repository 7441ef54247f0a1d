"""Handlers must not import pandas (the Lambda package stays small)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


def test_the_chalice_app_loads_no_analytics_stack():
    probe = (
        "import json, sys; import app; "
        "print(json.dumps(sorted(m for m in sys.modules "
        "if m.split('.')[0] in {'pandas', 'numpy', 'scipy', 'statsmodels', 'matplotlib', "
        "'cl3_worker'})))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=FUNCTIONS, capture_output=True,
                         text=True, timeout=60, check=True)  # fmt: skip
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
