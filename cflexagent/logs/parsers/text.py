"""Text log formats: raw lines, nginx access and error logs, syslog (RFC 3164 / 5424) and systemd
journal JSON. Pure functions and small parser classes, no I/O.

- nginx access: any ``log_format`` string (http://nginx.org/en/docs/http/ngx_http_log_module.html#log_format)
  is compiled once into a regex with one named group per variable; ``combined``
  is the default. Fields: remote_addr, remote_user, method, path, protocol,
  status, bytes, referer, user_agent, request_time, upstream_response_time and
  every other variable under its own name.
- nginx error: ``YYYY/MM/DD HH:MM:SS [level] pid#tid: *cid message`` (local time).
- syslog: RFC 3164 (``<PRI>Mmm dd hh:mm:ss host tag[pid]: msg``, also the PRI-less
  lines rsyslog writes to files and its RFC 3339 variant) and RFC 5424
  (``<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG``); severities become levels.
- journal: one ``journalctl --output=json`` object per line; ``MESSAGE`` may be
  a string or an array of bytes (non-UTF-8 messages).
- raw: every line shipped as is, stamped with the time it was read.

Levels use one vocabulary across formats: critical, error, warning, info, debug.
"""

from __future__ import annotations

import calendar
import re
import time
from typing import TYPE_CHECKING, Any

import orjson

from ..batch import LogBatch
from .timestamps import rfc3339_ns

if TYPE_CHECKING:
    from ..config import SourceConfig
    from ..metrics import LogMetrics

NGINX_COMBINED = ('$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
                  '"$http_referer" "$http_user_agent"')
#: Field names for the variables users know under another name.
_NGINX_RENAME = {"body_bytes_sent": "bytes", "http_user_agent": "user_agent", "http_referer": "referer"}
_NGINX_VAR_RE = {
    "remote_addr": r"[0-9A-Fa-f.:]+|-", "status": r"[0-9]{3}", "body_bytes_sent": r"[0-9]+|-",
    "bytes_sent": r"[0-9]+|-", "request_time": r"[0-9.]+|-", "time_local": r"[^\]]+",
    "time_iso8601": r"[0-9T:+\-.Z]+", "msec": r"[0-9.]+", "request_length": r"[0-9]+|-",
}
_INT_FIELDS = frozenset({"status", "bytes", "bytes_sent", "request_length"})
_FLOAT_FIELDS = frozenset({"request_time", "msec"})
_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                                        "Nov", "Dec"), 1)}

SYSLOG_LEVELS = ("critical", "critical", "critical", "error", "warning", "info", "info", "debug")
NGINX_ERROR_LEVELS = {"debug": "debug", "info": "info", "notice": "info", "warn": "warning", "error": "error",
                      "crit": "critical", "alert": "critical", "emerg": "critical"}


def compile_nginx_format(fmt: str) -> re.Pattern[str]:
    """The regex of an nginx ``log_format`` string; raises ValueError on an empty or variable-less format."""
    parts: list[str] = []
    seen: set[str] = set()
    pos = 0
    for m in re.finditer(r"\$(\{[a-z0-9_]+\}|[a-z0-9_]+)", fmt):
        var = m.group(1).strip("{}")
        parts.append(re.escape(fmt[pos : m.start()]))
        quoted = m.start() > 0 and fmt[m.start() - 1] == '"'
        if var == "request" and "method" not in seen:
            # Never trust the request line's shape: "-" or garbage from scanners is common.
            body = r'(?P<method>[A-Z]+) (?P<path>[^ "]*)(?: (?P<protocol>[^"]*))?|(?P<request>[^"]*)'
            if not quoted:
                body = r"(?P<method>[A-Z]+) (?P<path>\S*)(?: (?P<protocol>HTTP/[0-9.]+))?|(?P<request>\S*)"
            part = f"(?:{body})"
        else:
            name = _NGINX_RENAME.get(var, var)
            if name in seen or not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
                part = r'[^"]*' if quoted else r"\S*"
            else:
                seen.add(name)
                default = r'[^"]*' if quoted else r"\S*"
                if var == "upstream_response_time":
                    default = r"[0-9.,: \-]*?" if not quoted else r'[^"]*'
                part = f"(?P<{name}>{_NGINX_VAR_RE.get(var, default)})"
        parts.append(part)
        if var == "request":
            seen.update({"method", "path", "protocol", "request"})
        pos = m.end()
    parts.append(re.escape(fmt[pos:]))
    if not seen:
        raise ValueError("log_format has no $variables")
    return re.compile("".join(parts) + r"\s*$")


_LOCAL_MINUTES: dict[tuple[int, int, int, int, int], int] = {}


def local_epoch(y: int, mo: int, d: int, h: int, mi: int, s: int) -> int:
    """Unix seconds of a local wall-clock time (the agent's time zone; cached per minute)."""
    key = (y, mo, d, h, mi)
    base = _LOCAL_MINUTES.get(key)
    if base is None:
        base = int(time.mktime((y, mo, d, h, mi, 0, 0, 0, -1)))
        if len(_LOCAL_MINUTES) > 4096:
            _LOCAL_MINUTES.clear()
        _LOCAL_MINUTES[key] = base
    return base + s


def nginx_time_ns(t: str) -> int | None:
    """``26/Nov/2026:10:15:00 +0700`` -> Unix ns."""
    try:
        d, mon, y = int(t[0:2]), _MONTHS[t[3:6]], int(t[7:11])
        h, mi, s = int(t[12:14]), int(t[15:17]), int(t[18:20])
        sign, oh, om = t[21], int(t[22:24]), int(t[24:26])
        secs = calendar.timegm((y, mon, d, h, mi, s, 0, 0, 0))
    except (KeyError, ValueError, IndexError):
        return None
    off = oh * 3600 + om * 60
    return (secs - off if sign == "+" else secs + off) * 1_000_000_000


def parse_nginx_access(rx: re.Pattern[str], line: str) -> tuple[int | None, dict[str, Any]] | None:
    m = rx.match(line)
    if m is None:
        return None
    rec: dict[str, Any] = {k: v for k, v in m.groupdict().items() if v is not None}
    ts = None
    if "time_local" in rec:
        ts = nginx_time_ns(rec["time_local"])
    elif "time_iso8601" in rec:
        ts = rfc3339_ns(rec["time_iso8601"])
    elif "msec" in rec:
        try:
            ts = int(float(rec["msec"]) * 1e9)
        except ValueError:
            ts = None
    for k in _INT_FIELDS & rec.keys():
        v = rec[k]
        rec[k] = int(v) if v.isdigit() else 0
    for k in _FLOAT_FIELDS & rec.keys():
        try:
            rec[k] = float(rec[k])
        except ValueError:
            del rec[k]
    up = rec.get("upstream_response_time")
    if up is not None:
        # "0.012, 0.340" (retried upstreams) or "-": the sum is the time spent upstream.
        try:
            rec["upstream_response_time"] = sum(float(x) for x in re.split(r"[,:] ?", up) if x.strip() not in ("", "-"))
        except ValueError:
            del rec["upstream_response_time"]
    if "status" in rec:
        rec["status_class"] = f"{rec['status'] // 100}xx"
    return ts, rec


_NGINX_ERROR = re.compile(r"(\d{4})/(\d\d)/(\d\d) (\d\d):(\d\d):(\d\d) \[([a-z]+)\] (\d+)#(\d+): (?:\*(\d+) )?(.*)",
                          re.S)


def parse_nginx_error(line: str) -> tuple[int | None, dict[str, Any]] | None:
    m = _NGINX_ERROR.match(line)
    if m is None:
        return None
    y, mo, d, h, mi, s = (int(x) for x in m.group(1, 2, 3, 4, 5, 6))
    try:
        ts = local_epoch(y, mo, d, h, mi, s) * 1_000_000_000
    except (OverflowError, ValueError):
        ts = None
    rec: dict[str, Any] = {"level": NGINX_ERROR_LEVELS.get(m[7], "info"), "nginx_level": m[7], "pid": int(m[8]),
                           "message": m[11]}
    if m[10]:
        rec["connection"] = int(m[10])
    for key in ("client", "server", "request", "upstream", "host"):
        fm = re.search(rf", {key}: \"?([^,\"]*)\"?", m[11])
        if fm:
            rec[key] = fm.group(1)
    return ts, rec


_SYSLOG_5424 = re.compile(r"<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[(?:[^\]\\]|\\.)*\])+) ?(.*)", re.S)
_SYSLOG_3164 = re.compile(r"(?:<(\d{1,3})>)?([A-Z][a-z]{2}) ([ \d]\d) (\d\d):(\d\d):(\d\d) (\S+) "
                          r"([^:\[\s]+)(?:\[(\d+)\])?: ?(.*)", re.S)
_SYSLOG_RSYSLOG = re.compile(r"(?:<(\d{1,3})>)?(\d{4}-\d\d-\d\dT\S+) (\S+) ([^:\[\s]+)(?:\[(\d+)\])?: ?(.*)", re.S)


def _pri(rec: dict[str, Any], pri: str | None) -> None:
    if pri is None:
        return
    p = int(pri)
    if p > 191:
        return
    rec["facility"] = p >> 3
    rec["severity"] = p & 7
    rec["level"] = SYSLOG_LEVELS[p & 7]


def parse_syslog(line: str, now: float | None = None) -> tuple[int | None, dict[str, Any]] | None:
    """RFC 5424, RFC 3164 (with or without PRI) and rsyslog's RFC 3339 file format.

    RFC 3164 has no year: the current one, or the previous one when that would
    put the line more than a day in the future (a December line read in January).
    """
    m = _SYSLOG_5424.match(line)
    if m is not None:
        rec: dict[str, Any] = {}
        _pri(rec, m[1])
        for key, v in (("host", m[3]), ("app", m[4]), ("pid", m[5]), ("msgid", m[6])):
            if v != "-":
                rec[key] = v
        if m[7] != "-":
            rec["structured_data"] = m[7]
        msg = m[8]
        rec["message"] = msg[1:] if msg.startswith("\ufeff") else msg
        return (rfc3339_ns(m[2]) if m[2] != "-" else None), rec
    m = _SYSLOG_RSYSLOG.match(line)
    if m is not None:
        rec = {"host": m[3], "app": m[4]}
        _pri(rec, m[1])
        if m[5]:
            rec["pid"] = m[5]
        rec["message"] = m[6]
        return rfc3339_ns(m[2]), rec
    m = _SYSLOG_3164.match(line)
    if m is None:
        return None
    rec = {"host": m[7], "app": m[8]}
    _pri(rec, m[1])
    if m[9]:
        rec["pid"] = m[9]
    rec["message"] = m[10]
    mon = _MONTHS.get(m[2])
    ts = None
    if mon is not None:
        now = time.time() if now is None else now
        year = time.localtime(now).tm_year
        try:
            secs = local_epoch(year, mon, int(m[3]), int(m[4]), int(m[5]), int(m[6]))
            if secs > now + 86400:
                secs = local_epoch(year - 1, mon, int(m[3]), int(m[4]), int(m[5]), int(m[6]))
            ts = secs * 1_000_000_000
        except (OverflowError, ValueError):
            ts = None
    return ts, rec


JOURNAL_FIELDS = {"_SYSTEMD_UNIT": "unit", "SYSLOG_IDENTIFIER": "identifier", "_HOSTNAME": "host", "_PID": "pid",
                  "_COMM": "comm", "SYSLOG_FACILITY": "facility", "_TRANSPORT": "transport"}


def journal_message(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, list):
        try:
            return bytes(v).decode("utf-8", "replace")
        except (ValueError, TypeError):
            return ""
    return "" if v is None else str(v)


def parse_journal(obj: dict[str, Any]) -> tuple[int | None, str, dict[str, Any], str]:
    """One ``journalctl -o json`` object -> (timestamp ns, message, fields, cursor)."""
    ts = None
    rt = obj.get("__REALTIME_TIMESTAMP")
    if isinstance(rt, str) and rt.isdigit():
        ts = int(rt) * 1000
    msg = journal_message(obj.get("MESSAGE"))
    rec: dict[str, Any] = {}
    for key, name in JOURNAL_FIELDS.items():
        v = obj.get(key)
        if isinstance(v, str):
            rec[name] = v
    pri = obj.get("PRIORITY")
    if isinstance(pri, str) and pri.isdigit() and int(pri) < 8:
        rec["priority"] = int(pri)
        rec["level"] = SYSLOG_LEVELS[int(pri)]
    rec["message"] = msg
    cursor = obj.get("__CURSOR")
    return ts, msg, rec, cursor if isinstance(cursor, str) else ""


# -- parser classes (logs/parsers/__init__.py PARSERS) ---------------------------


class _TextParser:
    """Shared shape: the line is shipped as is; fields and a timestamp come from the parse."""

    def __init__(self, source: SourceConfig, metrics: LogMetrics) -> None:
        self.name = source.name
        self._unparsed = metrics.unparsed_lines.labels(source.name)
        self._ts_fallback = metrics.timestamp_fallback.labels(source.name)

    def _parse_one(self, line: str) -> tuple[int | None, dict[str, Any]] | None:
        raise NotImplementedError

    def parse(self, lines: list[bytes], read_ns: int) -> LogBatch:
        records: list[dict[str, Any] | None] = []
        stamps: list[int] = []
        bad = fallback = 0
        for i, raw in enumerate(lines):
            got = self._parse_one(raw.decode("utf-8", "replace"))
            if got is None:
                bad += 1
                records.append(None)
                stamps.append(read_ns + i)
                continue
            ts, rec = got
            if ts is None:
                fallback += 1
                ts = read_ns + i
            records.append(rec)
            stamps.append(ts)
        if bad:
            self._unparsed.inc(bad)
        if fallback:
            self._ts_fallback.inc(fallback)
        return LogBatch(self.name, lines, records, stamps)


class NginxAccessParser(_TextParser):
    def __init__(self, source: SourceConfig, metrics: LogMetrics) -> None:
        super().__init__(source, metrics)
        self.rx = compile_nginx_format(getattr(source, "nginx_log_format", "") or NGINX_COMBINED)

    def _parse_one(self, line: str) -> tuple[int | None, dict[str, Any]] | None:
        return parse_nginx_access(self.rx, line)


class NginxErrorParser(_TextParser):
    def _parse_one(self, line: str) -> tuple[int | None, dict[str, Any]] | None:
        return parse_nginx_error(line)


class SyslogParser(_TextParser):
    def _parse_one(self, line: str) -> tuple[int | None, dict[str, Any]] | None:
        return parse_syslog(line)


class JournalParser:
    """Lines are ``journalctl -o json`` objects; the shipped line is MESSAGE, the fields are the record."""

    def __init__(self, source: SourceConfig, metrics: LogMetrics) -> None:
        self.name = source.name
        self._unparsed = metrics.unparsed_lines.labels(source.name)

    def parse(self, lines: list[bytes], read_ns: int) -> LogBatch:
        out_lines: list[bytes] = []
        records: list[dict[str, Any] | None] = []
        stamps: list[int] = []
        bad = 0
        for i, raw in enumerate(lines):
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError:
                obj = None
            if not isinstance(obj, dict):
                bad += 1
                out_lines.append(raw)
                records.append(None)
                stamps.append(read_ns + i)
                continue
            ts, msg, rec, _ = parse_journal(obj)
            out_lines.append(msg.encode("utf-8", "replace") or b" ")
            records.append(rec)
            stamps.append(ts if ts is not None else read_ns + i)
        if bad:
            self._unparsed.inc(bad)
        return LogBatch(self.name, out_lines, records, stamps)


class RawParser:
    """Every line is shipped as is, stamped with the time it was read."""

    def __init__(self, source: SourceConfig, metrics: LogMetrics) -> None:
        self.name = source.name

    def parse(self, lines: list[bytes], read_ns: int) -> LogBatch:
        # read_ns + i keeps the lines' order within a stream when they share a read.
        return LogBatch(self.name, lines, [None] * len(lines), list(range(read_ns, read_ns + len(lines))))
