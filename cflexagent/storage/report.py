"""Render stored snapshots as a table, CSV or JSON (``storage report`` and /api/storage/snapshots)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import orjson

from .snapshots import Row

COLUMNS = ("day", "area", "group", "files", "bytes", "directories", "scanned_at")


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


def render(rows: Sequence[Row], fmt: str) -> str:
    if fmt == "json":
        return orjson.dumps({"snapshots": [r.as_dict() for r in rows]}).decode() + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(COLUMNS)
        for r in rows:
            w.writerow([r.day, r.area, r.group, r.files, r.bytes, r.directories, f"{r.scanned_at:.3f}"])
        return buf.getvalue()
    lines = [f"{'day':<10}  {'area':<16}  {'group':<24}  {'files':>12}  {'bytes':>12}  {'dirs':>9}  {'Δbytes':>11}"]
    prev: dict[tuple[str, str], int] = {}
    for r in rows:
        key = (r.area, r.group)
        delta = ""
        if key in prev:
            delta = ("+" if r.bytes >= prev[key] else "-") + human_bytes(abs(r.bytes - prev[key]))
        prev[key] = r.bytes
        group = r.group or "(total)"
        lines.append(f"{r.day:<10}  {r.area:<16}  {group:<24}  {r.files:>12,}  {human_bytes(r.bytes):>12}  "
                     f"{r.directories:>9,}  {delta:>11}")
    if not rows:
        lines.append("(no snapshots yet: run `cflexagent storage scan` or wait for the agent's first scan)")
    return "\n".join(lines) + "\n"
