"""Wall-clock schedules shared by components: the next "HH:MM" of a day in a time zone."""

from __future__ import annotations

import datetime


def next_daily(daily_at: str, tz: str, now: float) -> float:
    """Unix time of the next ``daily_at`` ("HH:MM") after ``now``, in zone ``tz`` ("" = local time)."""
    import zoneinfo

    zone = zoneinfo.ZoneInfo(tz) if tz else None
    cur = datetime.datetime.fromtimestamp(now, zone).astimezone(zone) if zone else \
        datetime.datetime.fromtimestamp(now).astimezone()
    hh, mm = map(int, daily_at.split(":"))
    target = cur.replace(hour=hh, minute=mm, second=0, microsecond=0)
    if target.timestamp() <= now:
        target = (cur + datetime.timedelta(days=1)).replace(hour=hh, minute=mm, second=0, microsecond=0)
    return target.timestamp()
