"""The handlers import this package: it must load nothing heavy and fail clearly without tz data."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "layers" / "common")},
        timeout=60,
    )
    return done.stdout.strip()


def test_importing_every_module_loads_no_pandas_or_numpy():
    out = run(
        "import sys\n"
        "import cl3_common.derived.resample, cl3_common.derived.gaps\n"
        "import cl3_common.derived.fill, cl3_common.derived.plausibility\n"
        "heavy = {'pandas', 'numpy', 'scipy', 'pyarrow'} & set(sys.modules)\n"
        "print(sorted(heavy))"
    )
    assert out == "[]"


def test_without_a_tz_database_fixed_offsets_work_and_names_say_why_not():
    # What a runtime without /usr/share/zoneinfo and without the tzdata package sees.
    out = run(
        "import sys, zoneinfo\n"
        "sys.modules['tzdata'] = None\n"
        "zoneinfo.reset_tzpath(to=[])\n"
        "from cl3_common.derived.timezones import parse_tz\n"
        "from cl3_common.errors import InvalidRequest\n"
        "print(parse_tz('+08:00').name)\n"
        "try:\n"
        "    parse_tz('Asia/Shanghai')\n"
        "except InvalidRequest as e:\n"
        "    print(e.message)\n"
    )
    assert out.splitlines() == [
        "+08:00",
        "time zone 'Asia/Shanghai': this server has no IANA time zone database; "
        "use a fixed offset such as +08:00 or -05:30",
    ]
