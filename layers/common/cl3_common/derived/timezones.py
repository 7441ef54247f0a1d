"""The `tz` of a request and the bucket grid it implies (UTC epoch milliseconds throughout).

Accepted `tz` forms: empty / `UTC` / `Z`; fixed offsets `+08:00`, `-05:30`, `+0530`, `+8`,
`UTC+08:00` and Binance's own forms (`8`, `05:45`, `-1:00`), from -12:00 to +14:00 like
Binance's `timeZone`; IANA names (`Asia/Shanghai`, `America/New_York`). IANA names need a time
zone database: the system's, or the `tzdata` package where the system has none.

How buckets align (what Binance does for spot klines with `timeZone`: "kline intervals are
interpreted in that timezone", i.e. on the local wall clock, while start/end stay UTC):

- Fixed-width intervals align on the local clock: open = t - (t + offset) % width. So with
  `+05:30` a 1h bucket opens at hh:30 UTC and a 12h bucket with `+08:00` at 04:00/16:00 UTC;
  intervals whose width divides the offset are unchanged (1h with +08:00).
- 1d opens at local midnight, 1w on Monday local midnight, 1M on the 1st at local midnight.
  3d keeps Binance's UTC phase counted in local days: it opens on local days whose number since
  1970-01-01 is a multiple of 3 (Binance: open_time % 3 days == 0 in UTC).
- IANA zones that observe DST have 23- and 25-hour days; a day is [local midnight, next local
  midnight) in real time. Sub-day buckets there are anchored to each local midnight and run in
  real time; the last bucket of a 23-hour day is short and a 25-hour day ends with an extra
  one, so each day is exactly a union of its sub-day buckets. (Binance has no DST zones; for
  fixed offsets both rules give the same grid.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cl3_common.errors import InvalidRequest
from cl3_common.intervals import DAY_MS, HOUR_MS, MINUTE_MS, nominal_ms, validate_interval

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_WEEK_PHASE_DAYS = 4  # 1970-01-05, day 4, was the first Monday
_MIN_OFFSET_MS, _MAX_OFFSET_MS = -12 * HOUR_MS, 14 * HOUR_MS
# sign, then hh:mm, hhmm or h/hh: "+0530" and "05:30" but not the ambiguous "530".
_OFFSET = re.compile(
    r"^(?:UTC|GMT)?([+-]?)(?:(\d{1,2}):(\d{2})|(\d{2})(\d{2})|(\d{1,2}))$", re.IGNORECASE
)
_IANA = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$")
_ACCEPTED = (
    "use UTC, a fixed offset from -12:00 to +14:00 such as +08:00 or -05:30, "
    "or an IANA time zone name such as Asia/Shanghai or America/New_York"
)


@dataclass(frozen=True)
class Zone:
    """A parsed `tz`: a fixed offset (`offset_ms`) or an IANA zone (`info`)."""

    name: str
    offset_ms: int | None = 0
    info: ZoneInfo | None = None

    @property
    def is_utc(self) -> bool:
        return self.offset_ms == 0

    def local_day(self, ms: int) -> int:
        """Number of the local calendar day holding `ms`, counted from 1970-01-01."""
        if self.offset_ms is not None:
            return (ms + self.offset_ms) // DAY_MS
        return _local_day(self.info, ms)

    def day_start(self, day: int) -> int:
        """UTC ms of the first instant of local day `day` (its midnight)."""
        if self.offset_ms is not None:
            return day * DAY_MS - self.offset_ms
        return _midnight(self.info, day)


UTC_ZONE = Zone("UTC", 0)


@lru_cache(maxsize=8192)
def _midnight(info: ZoneInfo | None, day: int) -> int:
    d = date.fromordinal(day + _EPOCH_ORDINAL)
    # fold=0: a midnight skipped by DST resolves to the transition instant, the day's first.
    return round(datetime(d.year, d.month, d.day, tzinfo=info).timestamp() * 1000)


def _local_day(info: ZoneInfo | None, ms: int) -> int:
    return datetime.fromtimestamp(ms // 1000, tz=info).toordinal() - _EPOCH_ORDINAL


def parse_tz(text: str | None) -> Zone:
    """The Zone named by a request's `tz`; InvalidRequest naming the accepted forms otherwise."""
    # A '+' in a query string may arrive decoded as a space: " 08:00" means +08:00.
    raw = (text or "").strip()
    if raw.upper() in ("", "Z", "UTC", "GMT", "ETC/UTC"):
        return UTC_ZONE
    match = _OFFSET.match(raw)
    if match:
        sign, h1, m1, h2, m2, h3 = match.groups()
        return _fixed(raw, sign, h1 or h2 or h3, m1 or m2)
    if len(raw) <= 64 and _IANA.match(raw):
        info = _zoneinfo(raw)
        if info is not None:
            return Zone(info.key, None, info)
    raise InvalidRequest(f"unknown time zone {text!r}: {_ACCEPTED}")


def _fixed(raw: str, sign: str, hours: str, minutes: str | None) -> Zone:
    mins = int(minutes or 0)
    offset = (int(hours) * 60 + mins) * MINUTE_MS * (-1 if sign == "-" else 1)
    if mins >= 60 or not _MIN_OFFSET_MS <= offset <= _MAX_OFFSET_MS:
        raise InvalidRequest(f"time zone offset {raw!r} is out of range: {_ACCEPTED}")
    if offset == 0:
        return UTC_ZONE
    total = abs(offset) // MINUTE_MS
    return Zone(f"{'-' if offset < 0 else '+'}{total // 60:02d}:{total % 60:02d}", offset)


def _zoneinfo(name: str) -> ZoneInfo | None:
    # IANA keys are case-sensitive; also try the usual capitalisation ("asia/tokyo").
    for key in (name, "/".join(part[:1].upper() + part[1:] for part in name.split("/"))):
        try:
            return ZoneInfo(key)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            continue
    try:
        ZoneInfo("America/New_York")
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidRequest(
            f"time zone {name!r}: this server has no IANA time zone database; "
            "use a fixed offset such as +08:00 or -05:30"
        ) from None
    return None


def as_zone(tz: str | Zone | None) -> Zone:
    return tz if isinstance(tz, Zone) else parse_tz(tz)


class BucketGrid:
    """Open and end times of `interval` buckets in a zone: [start(ms), end(start))."""

    def __init__(self, interval: str, tz: str | Zone | None = None) -> None:
        self.interval = validate_interval(interval)
        self.zone = as_zone(tz)
        width = nominal_ms(interval)
        # Fixed-width grids (every interval but 1M in a fixed-offset zone) are pure integer
        # arithmetic: open = t - (t - phase) % width.
        self.width: int | None = None
        if interval != "1M" and self.zone.offset_ms is not None:
            self.width = width
            weekly = _WEEK_PHASE_DAYS * DAY_MS if interval == "1w" else 0
            self._phase = weekly - self.zone.offset_ms
        self._sub_day = width if width < DAY_MS else 0
        self._days = {"1d": 1, "3d": 3, "1w": 7}.get(interval, 0)
        self._last: tuple[int, int] = (0, 0)  # the last span found: most lookups repeat it
        self._day: tuple[int, int] = (0, 0)

    def start(self, ms: int) -> int:
        return self.span(ms)[0]

    def end(self, start: int) -> int:
        return self.span(start)[1]

    def span(self, ms: int) -> tuple[int, int]:
        """(open, end) of the bucket holding `ms`; end is exclusive (close_time = end - 1)."""
        if self.width is not None:
            s = ms - (ms - self._phase) % self.width
            return s, s + self.width
        last = self._last
        if last[0] <= ms < last[1]:
            return last
        if self._sub_day:
            ds, de = self._day_span(ms, 1, 0)
            s = ds + (ms - ds) // self._sub_day * self._sub_day
            found = (s, min(s + self._sub_day, de))
        elif self._days:
            found = self._day_span(ms, self._days, _WEEK_PHASE_DAYS if self._days == 7 else 0)
        else:
            found = self._month_span(ms)
        self._last = found
        return found

    def _day_span(self, ms: int, days: int, phase: int) -> tuple[int, int]:
        day = self._day
        if days == 1 and day[0] <= ms < day[1]:
            return day
        zone = self.zone
        d = zone.local_day(ms)
        d -= (d - phase) % days
        s, e = zone.day_start(d), zone.day_start(d + days)
        # Where a clock falls back across midnight a wall-clock date can repeat: step until
        # the span really holds `ms`.
        while e <= ms:
            d += days
            s, e = e, zone.day_start(d + days)
        while s > ms:
            d -= days
            s, e = zone.day_start(d), s
        if days == 1:
            self._day = (s, e)
        return s, e

    def _month_span(self, ms: int) -> tuple[int, int]:
        zone = self.zone
        d = date.fromordinal(zone.local_day(ms) + _EPOCH_ORDINAL)
        month = d.year * 12 + d.month - 1
        s, e = zone.day_start(_month_day(month)), zone.day_start(_month_day(month + 1))
        while e <= ms:
            month += 1
            s, e = e, zone.day_start(_month_day(month + 1))
        while s > ms:
            month -= 1
            s, e = zone.day_start(_month_day(month)), s
        return s, e


def _month_day(month: int) -> int:
    """Day number of the 1st of `month` (counted as year * 12 + month - 1)."""
    return date(month // 12, month % 12 + 1, 1).toordinal() - _EPOCH_ORDINAL
