"""Soak benchmark: the agent for several minutes under hostile logs, a hostile Loki and hostile targets.

    python benchmarks/soak.py [--minutes 5] [--rate 1500] [--seed 1]

The agent runs as its own process (``python -m cflexagent run -c cfg``) on its
real schedule, everything on 127.0.0.1:

- **logs**: a writer process appends a JSON app log at ``--rate`` lines/s and
  rotates it every 30-60 s, by rename (``app.log`` -> ``app.log.1``, a new
  ``app.log``) or by copytruncate (copy to ``app.log.1``, truncate), keeping two
  rotated files like ``logrotate rotate 2``; the source's glob is ``app.log``
  alone, so the rotated files are found by descriptor and by the copy search.
  The lines mix plain records, records with personal data (names, phones,
  emails: redacted), malformed JSON, binary and invalid UTF-8, and every ~15 s
  a line of several MiB (over ``max_line_bytes``, with emails and multibyte
  text in it: redaction lengthens it after the cut). An nginx access log gets
  a share of the lines and is rotated by rename. The writer does its own
  copytruncate between two writes, so logrotate's copy/truncate race (lines
  written between the two, lost for every reader) is not in the figure.
- every line carries ``SEQ-<9 digits>`` at its start (in the allowlisted
  ``seq`` key for JSON): the Loki double (``tests/fakes/loki.py``, its own
  process) records the ids it took, so loss is counted exactly: ids written
  minus distinct ids received (duplicates are allowed, losses are not).
- **Loki** cycles through ok, 500, 503, 429, hanging answers, dropped
  connections, slow answers and being down (connection refused) for 20-60 s,
  through the double's control port. The spool is kept at its smallest (4 MiB) so an
  outage fills it and the sources wait on back-pressure.
- **probes** against a TCP server that accepts and never answers, one that
  floods bytes, an HTTP server that trickles its headers, one with a huge
  body, a closed port, and a healthy one.
- **the agent's HTTP server**: 100 idle connections and 30 slowloris ones
  (headers a byte at a time), reopened when the agent closes them, while
  ``/healthz`` is timed every 150 ms on a fresh connection.

- **the alert relay** (``[alerts.relay]``): Alertmanager webhooks (payload
  version 4, bearer token) are posted one every 2 s and 50 at once every 60 s,
  each distinct (a new episode of one of 8 groups firing, or an open one
  resolving; critical, warning and unrouted info groups), each carrying its id
  ``NTF#<6 digits>`` in its annotations. Critical goes to email then a WAHA
  WhatsApp gateway (``tests/fakes/whatsapp.py``), warning to email alone (its
  chain starts again after ``max_backoff``), info to the first route's channels.
  The aiosmtpd server (``tests/fakes/smtp.py``) and the gateway run in this
  process; the SMTP server cycles through refusing connections, 421 and 451 at
  DATA, hanging and never greeting for 20-40 s (longer than the routes'
  ``retry_for``, so the fallback runs); in every other failure spell the
  gateway fails too (503, hanging, 429, refusing), so both channels are down and
  the chain starts again. Email keeps the default rate limit (20/min), so bursts go out as
  summaries, which list every notification they hold; the gateway has none, so
  every WhatsApp message names its one notification. No 5xx answer is
  permanent on both channels: a notification given up by design is not in the
  figure.
- **storage**: when OpenSSH's sshd is installed, a throwaway one on loopback
  (``cflexagent/storage/localsshd.py``) serves a generated tree that
  ``[storage.sftp]`` scans every minute (the shortest interval the config takes).

At the end the writer stops, Loki, the SMTP server and the gateway are set to
ok, no more webhooks are posted, and the agent is given up to ``--drain``
seconds to empty its spool, reach lag 0 and empty its alert outbox
(``/metrics``).
Printed: a summary table and one line of JSON: lines written, distinct lines
received, lost, duplicates, the agent's peak RSS (VmHWM), ``/healthz`` p50 /
p99 / max, agent CPU seconds, component errors and restarts; webhooks posted,
accepted (2xx) and refused (anything else: Alertmanager retries those, so
they are not losses), notifications delivered per channel (distinct ids seen
in the mails, summaries included, and at the gateway), notifications lost
(accepted, seen on no channel; duplicates allowed), relay fallbacks and send
failures; storage scans ok / failed. Exit 1 when a line or a notification was
lost or the agent died.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from logs import cpu_seconds, free_port, peak_rss_mib, stop_processes

from cflexagent.storage.localsshd import LocalSSHD, sshd_available
from tests.fakes.smtp import SMTPDouble, bodies
from tests.fakes.whatsapp import GatewayDouble

ROOT = Path(__file__).resolve().parent.parent
ID_PATTERN = r"SEQ-(\d{9})"

CONFIG = """
[agent]
state_dir = "{work}/state"
log_level = "info"
[server]
listen = "127.0.0.1:{port}"

[probe_defaults]
interval = "5s"
timeout = "3s"

[[probes]]
name = "healthy"
type = "http"
url = "http://127.0.0.1:{healthy}/ok"
[[probes]]
name = "silent-tcp"
type = "tcp"
address = "127.0.0.1:{silent}"
send = "PING\\r\\n"
expect = "^\\\\+PONG"
[[probes]]
name = "flood-tcp"
type = "tcp"
address = "127.0.0.1:{flood}"
expect = "^NEVER"
[[probes]]
name = "trickle-http"
type = "http"
url = "http://127.0.0.1:{trickle}/"
[[probes]]
name = "huge-http"
type = "http"
url = "http://127.0.0.1:{huge}/"
[[probes]]
name = "closed-tcp"
type = "tcp"
address = "127.0.0.1:{closed}"
[[probes]]
name = "closed-http"
type = "http"
url = "http://127.0.0.1:{closed}/"

[logs.loki]
url = "http://127.0.0.1:{loki}/loki/api/v1/push"
check_ready = false
timeout = "5s"
max_backoff = "5s"
spool_max_bytes = "4MiB"

[[logs.sources]]
name = "app"
paths = ["{work}/logs/app.log"]
format = "json"
labels = {{ job = "soak" }}
label_fields = ["service", "level"]
timestamp_field = "ts"

[[logs.sources]]
name = "nginx"
paths = ["{work}/logs/access.log"]
format = "nginx_access"
labels = {{ job = "nginx" }}

[logs.redact]
enabled = true
allow_fields = ["seq", "ts", "level", "service", "action", "request_id", "order_id", "duration_ms", "status"]

[alerts.relay]
bearer_token_file = "{work}/alerts/webhook-token"
public_url = "https://monitor.example.com"
max_backoff = "10s"

[[alerts.relay.channels]]
name = "mail"
kind = "email"
host = "127.0.0.1"
port = {smtp}
tls = "none"
from = "alerts@cflex.example"
to = ["ops@cflex.example"]
timeout = "5s"

[[alerts.relay.channels]]
name = "wa"
kind = "whatsapp"
gateway = "waha"
url = "http://127.0.0.1:{waha}"
token_file = "{work}/alerts/waha-token"
recipients = ["+62 812-3456-789"]
rate_limit = ""
timeout = "5s"

[[alerts.relay.routes]]
severity = "critical"
channels = ["mail", "wa"]
retry_for = "15s"

[[alerts.relay.routes]]
severity = "warning"
channels = ["mail"]
retry_for = "15s"
"""

STORAGE_CONFIG = """
[storage.sftp]
host = "127.0.0.1"
port = {port}
username = "{user}"
key_file = "{key}"
known_hosts = "{known_hosts}"
interval = "1m"
connect_backoff = "1m"

[[storage.sftp.areas]]
name = "previews"
path = "{tree}/previews"
group_depth = 1

[[storage.sftp.areas]]
name = "cold"
path = "{tree}/cold"
"""

# -- the writer (its own process: python soak.py --writer DIR RATE SEED) -------------------

SERVICES = ["cflex-api", "cflex-worker", "cflex-billing"]
CUSTOMERS = [("Siti Rahma", "+62 812-3456-7890", "siti.rahma@example.co.id"),
             ("John Carter", "(415) 555-0100", "john.carter@example.com"),
             ("Budi Santoso", "0812 9876 5432", "budi.s@example.id")]
LONG_LINE_EVERY = 15.0
LONG_LINE_BYTES = 3 * 1024 * 1024


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1e6) % 1_000_000:06d}Z"


def _app_line(seq: int, rnd: random.Random) -> bytes:
    """One line of the app log: mostly JSON records, some with PII, some malformed or binary."""
    sid = b"SEQ-%09d" % seq
    r = rnd.random()
    if r < 0.03:
        return sid + b' {"ts": "broken json, level: INFO, msg: unterminated'
    if r < 0.05:
        return sid + b" \xff\xfe\x00 binary \xc3\x28 \x80\x81 payload " + bytes(rnd.randrange(256) for _ in range(40)
                                                                                 ).replace(b"\n", b".")
    rec: dict[str, object] = {"seq": sid.decode(), "ts": _iso(time.time()), "level": rnd.choice(["INFO", "WARN"]),
                              "service": rnd.choice(SERVICES), "action": "order_created",
                              "request_id": f"req-{seq:08x}", "order_id": f"ORD-{1000 + seq % 5000}",
                              "duration_ms": rnd.randrange(5, 6000), "status": "success"}
    if r < 0.20:
        name, phone, email = rnd.choice(CUSTOMERS)
        rec.update(customer_name=name, phone=phone, email=email,
                   msg=rnd.choice([f"proof approved by {name}", f"invoice mailed to {email}",
                                   f"whatsapp notification to {phone} failed"]))
    return json.dumps(rec, separators=(",", ":")).encode()


def _long_line(seq: int) -> bytes:
    """Several MiB: multibyte text and emails throughout, so the cut lands in them and redaction lengthens."""
    chunk = "résumé 中文字 a@b.co x@y.io ".encode()
    return b"SEQ-%09d " % seq + chunk * (LONG_LINE_BYTES // len(chunk))


def _nginx_line(seq: int, rnd: random.Random) -> bytes:
    user = rnd.choice(["-", "-", "budi_santoso"])
    t = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime())
    q = rnd.choice(["", "?page=2", "?email=siti%40example.com", "?phone=0812+3456+7890"])
    return (f'127.0.0.1 - {user} [{t}] "GET /orders/SEQ-{seq:09d}{q} HTTP/1.1" 200 {rnd.randrange(100, 9999)} '
            f'"-" "Mozilla/5.0 (X11; Linux x86_64)"').encode()


class _Log:
    """One log file the writer appends to and rotates, keeping two rotated files."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, data: bytes) -> None:
        os.write(self.fd, data)

    def _shift(self) -> None:
        old = Path(f"{self.path}.2")
        old.unlink(missing_ok=True)
        one = Path(f"{self.path}.1")
        if one.exists():
            one.rename(old)

    def rotate(self, how: str) -> None:
        self._shift()
        if how == "rename":
            self.path.rename(f"{self.path}.1")
            os.close(self.fd)
            self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        else:  # copytruncate, done between two writes (no logrotate race)
            shutil.copyfile(self.path, f"{self.path}.1")
            os.truncate(self.path, 0)


def writer_main(directory: str, rate: int, seed: int) -> None:
    rnd = random.Random(seed)
    logs = Path(directory)
    app, nginx = _Log(logs / "app.log"), _Log(logs / "access.log")
    status = logs.parent / "writer.json"
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    seq = 0
    rotations: dict[str, int] = {"rename": 0, "copytruncate": 0}
    long_lines = 0
    start = time.monotonic()
    next_rotation = start + rnd.uniform(30, 60)
    next_long = start + LONG_LINE_EVERY
    next_status = start + 1.0
    per_tick = max(1, rate // 100)
    ticks = 0
    while not stopping:
        app_buf, nginx_buf = [], []
        for _ in range(per_tick):
            if rnd.random() < 0.05:
                nginx_buf.append(_nginx_line(seq, rnd))
            else:
                app_buf.append(_app_line(seq, rnd))
            seq += 1
        now = time.monotonic()
        if now >= next_long:
            app_buf.append(_long_line(seq))
            seq += 1
            long_lines += 1
            next_long = now + LONG_LINE_EVERY
        app.write(b"\n".join(app_buf) + b"\n")
        if nginx_buf:
            nginx.write(b"\n".join(nginx_buf) + b"\n")
        if now >= next_rotation:
            how = rnd.choice(["rename", "copytruncate"])
            app.rotate(how)
            rotations[how] += 1
            if rotations[how] % 2:
                nginx.rotate("rename")
            next_rotation = now + rnd.uniform(30, 60)
        if now >= next_status:
            status.write_text(json.dumps({"written": seq, "rotations": rotations, "long_lines": long_lines}))
            next_status = now + 1.0
        ticks += 1
        time.sleep(max(0.0, start + ticks * 0.01 - time.monotonic()))
    status.write_text(json.dumps({"written": seq, "rotations": rotations, "long_lines": long_lines,
                                  "done": True}))


# -- hostile targets (in the benchmark's loop) ---------------------------------------------


async def _serve(handler) -> tuple[asyncio.Server, int]:  # type: ignore[no-untyped-def]
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def _silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accepts, reads, never answers."""
    with contextlib.suppress(Exception, asyncio.CancelledError):
        while await reader.read(65536):
            pass
    writer.close()


async def _flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Sends bytes as fast as the peer takes them, without a newline."""
    chunk = b"x" * 65536
    with contextlib.suppress(Exception, asyncio.CancelledError):
        for _ in range(4096):  # 256 MiB at most per connection
            writer.write(chunk)
            await writer.drain()
    writer.close()


async def _trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """An HTTP answer whose headers come a byte every 200 ms, never ending."""
    with contextlib.suppress(Exception, asyncio.CancelledError):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\n")
        header = b"X-Trickle: a\r\n"
        for i in range(10000):
            writer.write(header[i % len(header):i % len(header) + 1])
            await writer.drain()
            await asyncio.sleep(0.2)
    writer.close()


async def _huge(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """200 with a 4 GiB body."""
    with contextlib.suppress(Exception, asyncio.CancelledError):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4294967296\r\n\r\n")
        chunk = b"y" * 65536
        for _ in range(65536):
            writer.write(chunk)
            await writer.drain()
    writer.close()


async def _healthy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(Exception):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
        await writer.drain()
    writer.close()


# -- clients of the agent's own server -----------------------------------------------------


async def _http_get(port: int, path: str, within: float = 10.0) -> tuple[int, bytes]:
    async def go() -> tuple[int, bytes]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            data = await reader.read(-1)
        finally:
            writer.close()
        head, _, body = data.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
        return status, body
    return await asyncio.wait_for(go(), within)


async def _idle_client(port: int, stop: asyncio.Event) -> None:
    """A connection that never sends anything; reopened when the agent closes it."""
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({asyncio.ensure_future(reader.read(1)), stopper},
                               return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            writer.close()
        except OSError:
            pass
        await asyncio.sleep(1.0)


async def _slowloris(port: int, stop: asyncio.Event) -> None:
    """Request headers a byte every 2 s; reopened when the agent closes the connection."""
    head = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 1000
    while not stop.is_set():
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            for b in head:
                if stop.is_set():
                    break
                writer.write(bytes([b]))
                await writer.drain()
                await asyncio.sleep(2.0)
            writer.close()
        except (OSError, ConnectionError):
            pass
        await asyncio.sleep(1.0)


async def _time_healthz(port: int, stop: asyncio.Event, out: list[float], errors: list[str]) -> None:
    while not stop.is_set():
        t0 = time.perf_counter()
        try:
            status, _ = await _http_get(port, "/healthz", within=10.0)
            if status != 200:
                errors.append(f"status {status}")
        except (OSError, TimeoutError) as e:
            errors.append(type(e).__name__)
        out.append(time.perf_counter() - t0)
        await asyncio.sleep(0.15)


async def _sample_rss(pid: int, stop: asyncio.Event, out: list[float]) -> None:
    while not stop.is_set():
        with contextlib.suppress(OSError):
            m = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
            if m:
                out.append(int(m[1]) / 1024)
        await asyncio.sleep(1.0)


# -- Loki's hostile modes --------------------------------------------------------------------


async def _control(port: int, mode: str) -> None:
    body = json.dumps({"mode": mode}).encode()

    async def go() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /control HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await reader.read(-1)
        writer.close()
    await asyncio.wait_for(go(), 30)


def _schedule(rnd: random.Random) -> list[tuple[str, float]]:
    """Hostile modes with ok spells between them; 'down' lasts 20-60 s."""
    hostile = ["500", "429", "hang", "down", "slow", "503", "drop", "down"]
    out: list[tuple[str, float]] = []
    for i in range(100):
        out.append(("ok", rnd.uniform(10, 25)))
        mode = hostile[i % len(hostile)]
        out.append((mode, rnd.uniform(20, 60) if mode == "down" else rnd.uniform(8, 20)))
    return out


async def _cycle_loki(port: int, stop: asyncio.Event, rnd: random.Random, log: list[tuple[float, str]],
                      t0: float) -> None:
    for mode, seconds in _schedule(rnd):
        if stop.is_set():
            return
        await _control(port, mode)
        log.append((round(time.monotonic() - t0, 1), mode))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)


# -- the alert relay: webhooks in, SMTP and a WhatsApp gateway out (in the benchmark's loop) ----

WEBHOOK_TOKEN = "soak-webhook-token-0123456789"
WAHA_TOKEN = "soak-waha-token"
#: Every webhook's id, in its annotations (changing them keeps Alertmanager's fingerprint): ``NTF#000123``.
NTF_RE = re.compile(r"NTF#(\d{6})")
#: Alert groups: name and severity (critical: mail then WhatsApp; warning: mail only; info: no route,
#: the first route's channels).
ALERT_GROUPS = [("HighErrorRate", "critical"), ("ProbeFailed", "critical"), ("DiskAlmostFull", "critical"),
                ("CertExpiringSoon", "critical"), ("PreviewLatencySLO", "warning"), ("BackupLate", "warning"),
                ("LokiPushErrors", "warning"), ("DeployFinished", "info")]
WEBHOOK_EVERY = 2.0
BURST = 50
BURST_EVERY = 60.0


class AlertLedger:
    """Webhooks posted and what became of them; notifications seen at the SMTP server and the gateway."""

    def __init__(self) -> None:
        self.posted = 0
        self.accepted: dict[int, str] = {}          # id -> the relay's answer (accepted, unrouted, ...)
        self.refused: dict[str, int] = {}           # "503 outbox_full", "TimeoutError", ...
        self.episodes: dict[str, tuple[int, int]] = {}  # group -> (episode, alerts) still firing
        self.next_episode = 0
        self.seen: dict[str, set[int]] = {"mail": set(), "wa": set()}
        self.messages: dict[str, int] = {"mail": 0, "wa": 0}
        self.summaries: dict[str, int] = {"mail": 0, "wa": 0}
        self.sightings = 0
        self._mail_read = self._wa_read = 0

    def webhook(self, n: int, rnd: random.Random) -> dict[str, object]:
        """Alertmanager's payload for notification ``n``: a new episode of a group firing, or an open one
        resolving (same alerts, same fingerprints)."""
        name, sev = rnd.choice(ALERT_GROUPS)
        open_ = self.episodes.get(name)
        if open_ is not None and rnd.random() < 0.6:
            episode, count = open_
            status = "resolved"
            del self.episodes[name]
        else:
            episode, count = self.next_episode, rnd.choice([1, 1, 1, 2, 3])
            self.next_episode += 1
            status = "firing"
            self.episodes[name] = (episode, count)
        instance = f"api-{episode % 7}:8080"
        summary = f"{name} on {instance} (NTF#{n:06d})"
        ann = {"summary": summary, "description": f"soak notification {n}, episode {episode}",
               "runbook_url": f"/runbooks/{name.lower()}"}
        alerts = []
        for i in range(count):
            labels = {"alertname": name, "severity": sev, "instance": instance, "job": "soak", "replica": str(i)}
            alerts.append({"status": status, "labels": labels, "annotations": ann,
                           "startsAt": "2026-08-22T12:00:00.123456789Z",
                           "endsAt": _iso(time.time()) if status == "resolved" else "0001-01-01T00:00:00Z",
                           "generatorURL": "http://prometheus:9090/graph?g0.expr=x",
                           "fingerprint": f"{episode:012x}{i:04x}"})
        common = {"alertname": name, "severity": sev, "instance": instance, "job": "soak"}
        return {"version": "4", "groupKey": f'{{}}:{{alertname="{name}"}}', "truncatedAlerts": 0,
                "status": status, "receiver": "cflexagent", "groupLabels": {"alertname": name},
                "commonLabels": common, "commonAnnotations": ann, "externalURL": "http://alertmanager:9093",
                "alerts": alerts}

    def read(self, smtp: SMTPDouble, gw: GatewayDouble) -> None:
        """Take the messages that arrived since the last call (a summary names every notification it holds)."""
        for msg in smtp.messages[self._mail_read:]:
            self._saw("mail", bodies(msg)[0], str(msg["Subject"]).startswith("[SUMMARY]"))
        self._mail_read = len(smtp.messages)
        for _, text in gw.delivered[self._wa_read:]:
            self._saw("wa", text, "held back by the rate limit" in text.split("\n", 1)[0])
        self._wa_read = len(gw.delivered)

    def _saw(self, channel: str, text: str, summary: bool) -> None:
        ids = {int(m) for m in NTF_RE.findall(text)}
        self.messages[channel] += 1
        self.summaries[channel] += summary
        self.sightings += len(ids)
        self.seen[channel] |= ids

    @property
    def lost(self) -> list[int]:
        delivered = self.seen["mail"] | self.seen["wa"]
        return sorted(n for n in self.accepted if n not in delivered)


async def _post_webhook(http: aiohttp.ClientSession, port: int, n: int, doc: dict[str, object],
                        ledger: AlertLedger) -> None:
    """One webhook, with Alertmanager's 10 s timeout; 2xx accepted, anything else refused (Alertmanager
    would retry it)."""
    ledger.posted += 1
    try:
        async with http.post(f"http://127.0.0.1:{port}/alerts/webhook", json=doc,
                             headers={"Authorization": f"Bearer {WEBHOOK_TOKEN}"},
                             timeout=aiohttp.ClientTimeout(total=10)) as r:
            answer = await r.json(content_type=None)
            result = str(answer.get("status", "")) if isinstance(answer, dict) else ""
            if 200 <= r.status < 300:
                ledger.accepted[n] = result
                return
            reason = f"{r.status} {result}".strip()
    except (aiohttp.ClientError, TimeoutError, ValueError) as e:
        reason = type(e).__name__
    ledger.refused[reason] = ledger.refused.get(reason, 0) + 1


async def _post_webhooks(port: int, stop: asyncio.Event, rnd: random.Random, ledger: AlertLedger) -> None:
    """One webhook every WEBHOOK_EVERY seconds, and BURST at once every BURST_EVERY (from 20 s on)."""
    n = 0
    start = time.monotonic()
    next_burst = start + 20.0
    pending: set[asyncio.Task[None]] = set()
    async with aiohttp.ClientSession() as http:
        try:
            while not stop.is_set():
                batch = 1
                if time.monotonic() >= next_burst:
                    batch, next_burst = BURST, next_burst + BURST_EVERY
                for _ in range(batch):
                    t = asyncio.create_task(_post_webhook(http, port, n, ledger.webhook(n, rnd), ledger))
                    pending.add(t)
                    t.add_done_callback(pending.discard)
                    n += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), WEBHOOK_EVERY)
        finally:
            await asyncio.gather(*pending, return_exceptions=True)


def _smtp_schedule(rnd: random.Random) -> list[tuple[str, float]]:
    """SMTP failure spells with ok spells between them: longer than the routes' retry_for (15 s), so the
    critical route falls back to WhatsApp and the warning route (mail alone) starts its chain again."""
    hostile = ["refuse", "421", "hang", "451", "silent", "refuse"]
    out: list[tuple[str, float]] = []
    for i in range(100):
        out.append(("ok", rnd.uniform(15, 30)))
        out.append((hostile[i % len(hostile)], rnd.uniform(20, 40)))
    return out


async def _smtp_mode(smtp: SMTPDouble, mode: str) -> None:
    if mode == "refuse":
        await smtp.refuse()
        return
    await smtp.accept()
    smtp.set_mode(mode)


async def _gateway_mode(gw: GatewayDouble, mode: str) -> None:
    if mode == "refuse":
        await gw.refuse()
        return
    await gw.accept()
    gw.set_mode(mode)


async def _cycle_relay(smtp: SMTPDouble, gw: GatewayDouble, stop: asyncio.Event, rnd: random.Random,
                       smtp_log: list[tuple[float, str]], gw_log: list[tuple[float, str]], t0: float) -> None:
    """The SMTP server's spells; in every other failure spell the fallback gateway fails too, from 18 s
    on (past retry_for: the critical notifications are on it by then) to the spell's end. Never a 4xx
    there: a permanent failure on both channels would give a notification up by design."""
    gw_hostile = ["5xx", "hang", "rate_limited", "refuse"]

    async def wait(seconds: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)
        return stop.is_set()

    for i, (mode, seconds) in enumerate(_smtp_schedule(rnd)):
        if stop.is_set():
            return
        await _smtp_mode(smtp, mode)
        smtp_log.append((round(time.monotonic() - t0, 1), mode))
        if mode == "ok" or i % 4 != 3 or seconds < 22:
            if await wait(seconds):
                return
            continue
        if await wait(18.0):
            return
        gw_mode = gw_hostile[i // 4 % len(gw_hostile)]
        await _gateway_mode(gw, gw_mode)
        gw_log.append((round(time.monotonic() - t0, 1), gw_mode))
        stopped = await wait(seconds - 18.0)
        await _gateway_mode(gw, "ok")
        gw_log.append((round(time.monotonic() - t0, 1), "ok"))
        if stopped:
            return


# -- storage: an SFTP scan of a throwaway sshd ----------------------------------------------------


def _storage_tree(root: Path, rnd: random.Random) -> None:
    for rel, count in (("previews/images", 300), ("previews/videos", 20), ("previews/docs", 80),
                       ("cold/2024", 100)):
        d = root / rel
        d.mkdir(parents=True)
        for i in range(count):
            (d / f"item-{i:04d}.bin").write_bytes(b"\0" * rnd.choice([0, 900, 4000, 40_000, 300_000]))


def _start_sshd(work: Path, rnd: random.Random) -> tuple[LocalSSHD | None, str]:
    """The sshd and its [storage.sftp] section, or (None, why not)."""
    if not sshd_available():
        return None, "no sshd on this machine"
    _storage_tree(work / "storage-tree", rnd)
    server = LocalSSHD(work / "sshd", getpass.getuser())
    try:
        server.prepare()
        server.start()
    except (RuntimeError, OSError) as e:
        return None, f"sshd did not start: {e}"
    return server, STORAGE_CONFIG.format(port=server.port, user=server.username, key=server.client_key,
                                         known_hosts=server.known_hosts, tree=work / "storage-tree")


# -- the run -----------------------------------------------------------------------------------


def metrics_text(port: int) -> str:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        return str(r.read().decode())


def metric_sum(text: str, name: str) -> float:
    return sum(float(m[1]) for m in re.finditer(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.M))


def metric_by(text: str, name: str, label: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for m in re.finditer(rf'^{name}{{[^}}]*{label}="([^"]*)"[^}}]*}} (\S+)$', text, re.M):
        out[m[1]] = out.get(m[1], 0.0) + float(m[2])
    return out


def get_json(port: int, path: str) -> dict:  # type: ignore[type-arg]
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as r:
        return dict(json.loads(r.read()))


def pct(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


async def soak(a: argparse.Namespace, work: Path) -> int:
    rnd = random.Random(a.seed)
    (work / "logs").mkdir(parents=True)
    servers = {}
    for name, handler in (("silent", _silent), ("flood", _flood), ("trickle", _trickle), ("huge", _huge),
                          ("healthy", _healthy)):
        servers[name] = await _serve(handler)
    closed = free_port()
    double = subprocess.Popen([  # noqa: ASYNC220 (started once, before the loop matters)
        sys.executable, "-m", "tests.fakes.loki", "--port", "0", "--no-store", "--control-port", "0",
        "--id-pattern", ID_PATTERN], cwd=ROOT, stdout=subprocess.PIPE, stderr=open(work / "loki.log", "wb"),
        text=True)
    agent = writer = None
    stop = asyncio.Event()
    stop_webhooks = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    alert_tasks: list[asyncio.Task[None]] = []
    smtp = SMTPDouble()
    gw = GatewayDouble("waha", token=WAHA_TOKEN)
    ledger = AlertLedger()
    sshd, storage_toml = await asyncio.to_thread(_start_sshd, work, random.Random(a.seed))
    try:
        await smtp.start()
        await gw.start()
        (work / "alerts").mkdir()
        for name, secret in (("webhook-token", WEBHOOK_TOKEN), ("waha-token", WAHA_TOKEN)):
            (work / "alerts" / name).write_text(secret)
            (work / "alerts" / name).chmod(0o600)
        assert double.stdout is not None
        words = double.stdout.readline().split()
        loki_port, control_port = int(words[1]), int(words[3])
        port = free_port()
        cfg = work / "agent.toml"
        cfg.write_text(CONFIG.format(work=work, port=port, loki=loki_port, closed=closed, smtp=smtp.port,
                                     waha=gw.port, **{k: v[1] for k, v in servers.items()})
                       + (storage_toml if sshd is not None else ""))
        if sshd is None:
            print(f"storage scans not soaked: {storage_toml}", file=sys.stderr)
        agent_log = open(work / "agent.log", "wb")
        agent = subprocess.Popen([sys.executable, "-m", "cflexagent", "run", "-c", str(cfg)], cwd=ROOT,  # noqa: ASYNC220
                                 stdout=agent_log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                await asyncio.to_thread(metrics_text, port)
                break
            except OSError:
                if time.monotonic() > deadline or agent.poll() is not None:
                    print("the agent did not start; its log:", (work / "agent.log").read_text()[-3000:],
                          file=sys.stderr)
                    return 1
                await asyncio.sleep(0.1)
        writer = subprocess.Popen([sys.executable, __file__,  # noqa: ASYNC220
                                   "--writer", str(work / "logs"), str(a.rate),
                                   str(a.seed)])
        t0 = time.monotonic()
        latencies: list[float] = []
        hz_errors: list[str] = []
        rss: list[float] = []
        modes: list[tuple[float, str]] = []
        smtp_modes: list[tuple[float, str]] = []
        gw_modes: list[tuple[float, str]] = []
        alert_tasks = [asyncio.create_task(_post_webhooks(port, stop_webhooks, random.Random(a.seed + 1), ledger)),
                       asyncio.create_task(_cycle_relay(smtp, gw, stop, random.Random(a.seed + 2), smtp_modes,
                                                        gw_modes, t0))]
        tasks = [asyncio.create_task(_time_healthz(port, stop, latencies, hz_errors)),
                 asyncio.create_task(_sample_rss(agent.pid, stop, rss)),
                 asyncio.create_task(_cycle_loki(control_port, stop, rnd, modes, t0))]
        tasks += [asyncio.create_task(_idle_client(port, stop)) for _ in range(100)]
        tasks += [asyncio.create_task(_slowloris(port, stop)) for _ in range(30)]
        end = t0 + a.minutes * 60
        next_report = t0 + 30
        while time.monotonic() < end:
            await asyncio.sleep(1.0)
            if agent.poll() is not None:
                print(f"the agent exited ({agent.returncode}) during the soak", file=sys.stderr)
                break
            if time.monotonic() >= next_report:
                next_report += 30
                with contextlib.suppress(OSError, ValueError):
                    w = json.loads((work / "writer.json").read_text())
                    ids = await asyncio.to_thread(get_json, control_port, "/stats")
                    m = await asyncio.to_thread(metrics_text, port)
                    ledger.read(smtp, gw)
                    print(f"  {time.monotonic() - t0:5.0f}s written {w['written']:,} at Loki {ids['accepted']:,} "
                          f"spool {metric_sum(m, 'cflexagent_log_spool_bytes') / 1e6:.1f} MB lag "
                          f"{metric_sum(m, 'cflexagent_log_lag_bytes') / 1e6:.1f} MB rss {rss[-1] if rss else 0:.0f}"
                          f" MiB loki {modes[-1][1] if modes else '?'}; webhooks {len(ledger.accepted)}/"
                          f"{ledger.posted} outbox {metric_sum(m, 'cflexagent_alert_outbox_notifications'):.0f} "
                          f"smtp {smtp_modes[-1][1] if smtp_modes else '?'}", flush=True)
        # The end: writer stopped, Loki ok, the agent drains.
        writer.send_signal(signal.SIGTERM)
        writer.wait(30)
        status = json.loads((work / "writer.json").read_text())
        written = int(status["written"])
        for t in tasks[2:3]:
            t.cancel()
        await _control(control_port, "ok")
        modes.append((round(time.monotonic() - t0, 1), "ok (drain)"))
        # The relay's end: no more webhooks, the SMTP server and the gateway ok, the outbox drains.
        stop_webhooks.set()
        await alert_tasks[0]
        for t in alert_tasks[1:]:
            t.cancel()
        await asyncio.gather(*alert_tasks[1:], return_exceptions=True)
        await _smtp_mode(smtp, "ok")
        await _gateway_mode(gw, "ok")
        smtp_modes.append((round(time.monotonic() - t0, 1), "ok (drain)"))
        gw_modes.append((round(time.monotonic() - t0, 1), "ok (drain)"))
        drain_t0 = time.monotonic()
        drained = False
        settled_since = None
        ids: dict = {}  # type: ignore[type-arg]
        while time.monotonic() - drain_t0 < a.drain and agent.poll() is None:
            await asyncio.sleep(1.0)
            m = await asyncio.to_thread(metrics_text, port)
            ids = await asyncio.to_thread(get_json, control_port, f"/ids?below={written}")
            ledger.read(smtp, gw)
            empty = metric_sum(m, "cflexagent_log_spool_records") == 0 and metric_sum(
                m, "cflexagent_log_lag_bytes") == 0 and metric_sum(m, "cflexagent_alert_outbox_notifications") == 0
            if ids["received_below"] == written and empty and not ledger.lost:
                drained = True
                break
            settled_since = (settled_since or time.monotonic()) if empty else None
            if settled_since is not None and time.monotonic() - settled_since > 20:
                drained = True  # empty and idle, and lines still missing: they are lost
                break
        drain_s = time.monotonic() - drain_t0
        stop.set()
        alive = agent.poll() is None
        m = await asyncio.to_thread(metrics_text, port) if alive else ""
        ids = await asyncio.to_thread(get_json, control_port, f"/ids?below={written}")
        stats = await asyncio.to_thread(get_json, control_port, "/stats")
        received = int(ids["received_below"])
        lost = written - received
        ledger.read(smtp, gw)
        alerts_lost = ledger.lost
        answers: dict[str, int] = {}
        for answer in ledger.accepted.values():
            answers[answer] = answers.get(answer, 0) + 1
        scans = metric_by(m, "cflexagent_storage_scans_total", "result")
        result = {
            "minutes": a.minutes, "rate": a.rate, "written": written, "received": received, "lost": lost,
            "duplicates": int(ids["sightings"]) - int(ids["distinct"]),
            "missing_sample": ids["missing"][:10],
            "rss_peak_mib": round(peak_rss_mib(agent.pid), 1) if alive else None,
            "rss_sampled_max_mib": round(max(rss), 1) if rss else None,
            "rss_end_mib": round(rss[-1], 1) if rss else None,
            "healthz_p50_ms": round(pct(latencies, 50) * 1000, 1),
            "healthz_p99_ms": round(pct(latencies, 99) * 1000, 1),
            "healthz_max_ms": round(max(latencies) * 1000, 1) if latencies else None,
            "healthz_samples": len(latencies), "healthz_errors": len(hz_errors),
            "cpu_s": round(cpu_seconds(agent.pid), 1) if alive else None,
            "component_errors": metric_by(m, "cflexagent_component_errors_total", "component"),
            "component_restarts": metric_by(m, "cflexagent_component_restarts_total", "component"),
            "dropped_lines": metric_by(m, "cflexagent_log_dropped_lines_total", "reason"),
            "rotations": status["rotations"], "long_lines": status["long_lines"],
            "truncations_seen": metric_sum(m, "cflexagent_log_truncations_total"),
            "backpressure_s": round(metric_sum(m, "cflexagent_log_backpressure_seconds_total"), 1),
            "spool_write_errors": metric_sum(m, "cflexagent_log_spool_write_errors_total"),
            "loki_statuses": stats.get("statuses"), "loki_modes": len(modes),
            "drained": drained, "drain_s": round(drain_s, 1), "agent_alive": alive,
            "webhooks_posted": ledger.posted, "webhooks_accepted": len(ledger.accepted),
            "webhooks_answers": answers, "webhooks_refused": ledger.refused,
            "notifications_delivered": {ch: len(ids_) for ch, ids_ in ledger.seen.items()},
            "notification_messages": ledger.messages, "notification_summaries": ledger.summaries,
            "notifications_lost": len(alerts_lost), "notifications_lost_sample": alerts_lost[:10],
            "notification_duplicates": ledger.sightings - len(ledger.seen["mail"] | ledger.seen["wa"]),
            "alert_fallbacks": metric_sum(m, "cflexagent_alert_fallbacks_total"),
            "alert_undeliverable": metric_sum(m, "cflexagent_alert_undeliverable_total"),
            "alert_send_failures": metric_by(m, "cflexagent_alert_send_failures_total", "reason"),
            "smtp_answers": dict(smtp.answers), "smtp_modes": len(smtp_modes), "gateway_statuses":
                {str(k): v for k, v in gw.statuses.items()}, "gateway_modes": len(gw_modes),
            "storage_scans": scans if sshd is not None else None,
        }
        result = {k: ({n: v for n, v in val.items() if v} if isinstance(val, dict) and k != "rotations" else val)
                  for k, val in result.items()}
        print()
        print(f"soak {a.minutes:g} min at {a.rate:,} lines/s (seed {a.seed}); Loki modes: "
              + " ".join(f"{t:.0f}s:{md}" for t, md in modes))
        print("SMTP modes: " + " ".join(f"{t:.0f}s:{md}" for t, md in smtp_modes))
        print("WhatsApp gateway modes: " + " ".join(f"{t:.0f}s:{md}" for t, md in gw_modes))
        rows = [
            ("lines written", f"{written:,}"),
            ("distinct lines received", f"{received:,}"),
            ("lost (must be 0)", f"{lost:,}" + (f"  e.g. {ids['missing'][:5]}" if lost else "")),
            ("duplicates", f"{result['duplicates']:,}"),
            ("agent peak RSS (VmHWM)", f"{result['rss_peak_mib']} MiB (sampled max {result['rss_sampled_max_mib']}, "
                                       f"at the end {result['rss_end_mib']})"),
            ("/healthz p50 / p99 / max", f"{result['healthz_p50_ms']} / {result['healthz_p99_ms']} / "
                                         f"{result['healthz_max_ms']} ms ({len(latencies)} samples, "
                                         f"{len(hz_errors)} errors)"),
            ("agent CPU", f"{result['cpu_s']} s"),
            ("component errors", json.dumps(result["component_errors"]) or "{}"),
            ("component restarts", json.dumps(result["component_restarts"]) or "{}"),
            ("dropped lines (agent)", json.dumps(result["dropped_lines"])),
            ("rotations / long lines", f"{status['rotations']} / {status['long_lines']}; truncations seen "
                                       f"{result['truncations_seen']:.0f}"),
            ("back-pressure", f"{result['backpressure_s']} s; spool write errors "
                              f"{result['spool_write_errors']:.0f}"),
            ("drained", f"{drained} in {drain_s:.0f} s"),
            ("webhooks posted", f"{ledger.posted:,}: accepted (2xx) {len(ledger.accepted):,} "
                                f"{json.dumps(answers)}, refused {sum(ledger.refused.values()):,} "
                                f"{json.dumps(ledger.refused)}"),
            ("notifications delivered", ", ".join(
                f"{ch} {len(ledger.seen[ch]):,} ({ledger.messages[ch]:,} messages, {ledger.summaries[ch]} summaries)"
                for ch in ledger.seen) + f"; duplicates {result['notification_duplicates']:,}"),
            ("notifications lost (must be 0)", f"{len(alerts_lost):,}"
                                               + (f"  e.g. {alerts_lost[:5]}" if alerts_lost else "")),
            ("relay fallbacks / failures", f"{result['alert_fallbacks']:.0f} / "
                                           f"{json.dumps(result['alert_send_failures'])}; undeliverable "
                                           f"{result['alert_undeliverable']:.0f}"),
            ("storage scans", (f"ok {scans.get('success', 0):.0f}, failed {scans.get('failure', 0):.0f}"
                               if sshd is not None else storage_toml)),
        ]
        for k, v in rows:
            print(f"  {k:30s} {v}")
        print(json.dumps(result, separators=(",", ":")))
        return 0 if lost == 0 and not alerts_lost and alive and drained else 1
    finally:
        stop.set()
        stop_webhooks.set()
        for t in tasks + alert_tasks:
            t.cancel()
        await asyncio.gather(*tasks, *alert_tasks, return_exceptions=True)
        stop_processes(writer, agent, double)
        for server, _ in servers.values():
            server.close()
        await smtp.stop()
        await gw.stop()
        if sshd is not None:
            sshd.stop()


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--writer":
        writer_main(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return 0
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--rate", type=int, default=1500, help="lines per second the writer appends")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--drain", type=float, default=300.0, help="seconds the agent gets to drain at the end")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (agent log, state)")
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cflexagent-bench-soak-"))
    try:
        return asyncio.run(soak(a, work))
    finally:
        if a.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
