"""Row builders and a slow, obviously-correct resampler to check the fast one against."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z, a Monday


def ms(text: str) -> int:
    """Epoch ms of an ISO time with an offset ("2024-03-10T05:00:00+00:00" or "...Z")."""
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def row(
    t: int,
    o: float,
    h: float,
    lo: float,
    c: float,
    v: float = 1.0,
    *,
    step: int = MINUTE,
    trades: int = 1,
) -> tuple:
    """A consistent row: quote volume v * c, half of everything bought by takers."""
    return (t, t + step - 1, o, h, lo, c, v, v * c, trades, v / 2, v * c / 2)


def series(start: int, count: int, step: int = MINUTE, seed: int = 7, price: float = 100.0):
    """`count` contiguous random-walk rows from `start`."""
    rng = random.Random(seed)
    rows = []
    for k in range(count):
        o = price
        c = max(0.01, price * (1 + rng.uniform(-0.002, 0.002)))
        h = max(o, c) * (1 + rng.uniform(0, 0.001))
        lo = min(o, c) * (1 - rng.uniform(0, 0.001))
        v = rng.choice([0.0, rng.uniform(0, 5)])
        rows.append(row(start + k * step, o, h, lo, c, v, step=step, trades=rng.randint(0, 50)))
        price = c
    return rows


def calendar_rows(first: date, days: int, seed: int = 3) -> list[tuple]:
    """1d rows from `first` (UTC midnights)."""
    start = int(datetime(first.year, first.month, first.day, tzinfo=UTC).timestamp() * 1000)
    return series(start, days, DAY, seed)


def _tzinfo(tz: str | None):
    if tz in (None, "UTC"):
        return UTC
    if tz[0] in "+-":
        sign = -1 if tz[0] == "-" else 1
        hours, minutes = int(tz[1:3]), int(tz[4:6])
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    return ZoneInfo(tz)


def _local_ms(info, d: date) -> int:
    return round(datetime(d.year, d.month, d.day, tzinfo=info).timestamp() * 1000)


def reference_bucket(t: int, target: str, tz: str | None) -> tuple[int, int]:
    """Bucket [start, end) of `t`, computed with one datetime per candle, the slow way."""
    info = _tzinfo(tz)
    local = datetime.fromtimestamp(t / 1000, tz=info)
    d = local.date()
    if target == "1M":
        nxt = date(d.year + d.month // 12, d.month % 12 + 1, 1)
        return _local_ms(info, d.replace(day=1)), _local_ms(info, nxt)
    if target in ("1d", "3d", "1w"):
        n = {"1d": 1, "3d": 3, "1w": 7}[target]
        number = (d - date(1970, 1, 1)).days
        first = d - timedelta(days=(number - (4 if n == 7 else 0)) % n)
        return _local_ms(info, first), _local_ms(info, first + timedelta(days=n))
    width = {"3m": 3, "5m": 5, "15m": 15, "30m": 30}.get(target, 0) * MINUTE or {
        "1h": 1,
        "2h": 2,
        "4h": 4,
        "6h": 6,
        "8h": 8,
        "12h": 12,
    }[target] * HOUR
    day_start = _local_ms(info, d)
    day_end = _local_ms(info, d + timedelta(days=1))
    start = day_start + (t - day_start) // width * width
    return start, min(start + width, day_end)


def reference_resample(rows, source_step: int, target: str, tz: str | None) -> list[dict]:
    groups: dict[tuple[int, int], list] = {}
    for r in rows:
        groups.setdefault(reference_bucket(r[0], target, tz), []).append(r)
    out = []
    for (start, end), members in sorted(groups.items()):
        volume = sum(m[6] for m in members)
        quote = sum(m[7] for m in members)
        out.append(
            {
                "open_time": start,
                "close_time": end - 1,
                "open": members[0][2],
                "high": max(m[3] for m in members),
                "low": min(m[4] for m in members),
                "close": members[-1][5],
                "volume": volume,
                "quote_volume": quote,
                "trades": sum(m[8] for m in members),
                "taker_buy_base": sum(m[9] for m in members),
                "taker_buy_quote": sum(m[10] for m in members),
                "vwap": quote / volume if volume else None,
                "complete": len(members) == (end - start) // source_step,
                "sources": len(members),
            }
        )
    return out
