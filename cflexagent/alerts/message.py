"""What a notification says: a short WhatsApp text, an email subject with text and HTML bodies,
a summary when a rate limit grouped several, and the placeholder values of generic gateways.

Pure functions over the decoded webhook; no I/O. Every value that came from
Alertmanager is escaped for HTML and stripped of line breaks where one would
change the meaning (a subject, a template parameter).
"""

from __future__ import annotations

import html
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

from .webhook import SEVERITY_ORDER, Alert, Payload

#: WhatsApp allows 4096 characters; a phone screen shows far fewer.
TEXT_MAX = 1500
SUMMARY_LINES = 15
_ICONS = {"critical": "🔴", "error": "🟠", "warning": "🟡", "info": "🔵"}


@dataclass(frozen=True)
class Notification:
    id: int
    payload: Payload
    severity: str
    received_at: float

    @property
    def status(self) -> str:
        return self.payload.status

    @property
    def alertname(self) -> str:
        p = self.payload
        return p.commonLabels.get("alertname") or p.groupLabels.get("alertname") or \
            (p.alerts[0].name if p.alerts else "") or "alert"

    @property
    def firing(self) -> list[Alert]:
        return [a for a in self.payload.alerts if a.status == "firing"]

    @property
    def resolved(self) -> list[Alert]:
        return [a for a in self.payload.alerts if a.status == "resolved"]


@dataclass
class Message:
    """One or several notifications (several: a rate-limit summary) for one channel."""

    notifications: list[Notification]
    public_url: str = ""
    #: recipient -> acknowledge link (None: no link for this message).
    ack_url: Callable[[str], str | None] = field(default=lambda recipient: None)
    #: A summary's links: notification id -> (recipient -> acknowledge link of its group).
    ack_urls: dict[int, Callable[[str], str | None]] = field(default_factory=dict)
    test: bool = False
    #: Sent because nobody acknowledged the group in time.
    escalation: bool = False

    @property
    def summary(self) -> bool:
        return len(self.notifications) > 1

    @property
    def first(self) -> Notification:
        return self.notifications[0]

    def ack_of(self, n: Notification, recipient: str) -> str | None:
        """The acknowledge link of ``n``'s group for ``recipient``, if it is firing and has one."""
        if n.status != "firing":
            return None
        fn = self.ack_urls.get(n.id) if self.summary else self.ack_url
        return fn(recipient) if fn is not None else None


def one_line(text: str, limit: int = 200) -> str:
    s = " ".join(text.split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


def summary_of(n: Notification) -> str:
    p = n.payload
    a = p.alerts[0] if p.alerts else None
    for src in (p.commonAnnotations, a.annotations if a else {}):
        for key in ("summary", "description", "message"):
            if src.get(key):
                return one_line(src[key])
    return n.alertname


def link(base: str, target: str) -> str:
    """An annotation link made absolute against ``public_url``; only http(s) links are used."""
    if not target:
        return ""
    joined = urllib.parse.urljoin(base.rstrip("/") + "/", target) if base else target
    return joined if joined.startswith(("https://", "http://")) else ""


def links(msg: Message, n: Notification) -> dict[str, str]:
    p = n.payload
    a = p.alerts[0].annotations if p.alerts else {}
    out = {}
    for key, names in (("dashboard", ("dashboard_url", "dashboard", "grafana_url")),
                       ("runbook", ("runbook_url", "runbook"))):
        for name in names:
            url = link(msg.public_url, p.commonAnnotations.get(name) or a.get(name, ""))
            if url:
                out[key] = url
                break
    return out


def when(ts: float | None, now: float) -> str:
    if ts is None:
        return "unknown"
    ago = max(0, int(now - ts))
    rel = f"{ago // 86400}d {ago % 86400 // 3600}h" if ago >= 86400 else \
        f"{ago // 3600}h {ago % 3600 // 60}m" if ago >= 3600 else f"{ago // 60}m"
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ts)) + f" ({rel} ago)"


def status_word(n: Notification) -> str:
    return "RESOLVED" if n.status == "resolved" else "FIRING"


def headline(n: Notification) -> str:
    icon = "✅" if n.status == "resolved" else _ICONS.get(n.severity, "⚪")
    return f"{icon} [{status_word(n)}] {n.severity.upper()} {n.alertname}"


def instance_of(n: Notification) -> str:
    p = n.payload
    inst = p.commonLabels.get("instance") or (p.alerts[0].labels.get("instance", "") if p.alerts else "")
    if not inst and p.alerts:
        inst = p.alerts[0].labels.get("job", "") or p.alerts[0].labels.get("probe", "")
    return one_line(inst, 80)


def whatsapp_text(msg: Message, recipient: str, now: float | None = None) -> str:
    now = time.time() if now is None else now
    if msg.summary:
        return _summary_text(msg, recipient, now)
    n = msg.first
    prefix = "🧪 TEST: " if msg.test else "⏫ NOT ACKNOWLEDGED: " if msg.escalation else ""
    lines = [prefix + headline(n), summary_of(n)]
    inst = instance_of(n)
    a = n.payload.alerts[0]
    if n.status == "resolved":
        lines.append(f"resolved {when(a.ends, now)}" + (f" · {inst}" if inst else ""))
    else:
        lines.append(f"since {when(a.starts, now)}" + (f" · {inst}" if inst else ""))
    more = len(n.payload.alerts) - 1 + n.payload.truncatedAlerts
    if more:
        lines.append(f"+{more} more alert{'s' if more != 1 else ''} in this group")
    for key, url in links(msg, n).items():
        lines.append(f"{key.capitalize()}: {url}")
    ack = msg.ack_url(recipient) if n.status == "firing" else None
    if ack:
        lines.append(f"Acknowledge: {ack}")
    return _cap("\n".join(lines))


def _by_severity(ns: list[Notification]) -> list[Notification]:
    rank = {s: i for i, s in enumerate(SEVERITY_ORDER)}
    return sorted(ns, key=lambda n: (n.status == "resolved", rank.get(n.severity, len(rank)), n.received_at))


def _summary_text(msg: Message, recipient: str, now: float) -> str:
    ns = _by_severity(msg.notifications)
    firing = sum(1 for n in ns if n.status == "firing")
    head = f"⚠️ {len(ns)} alert notifications held back by the rate limit ({firing} firing):"
    items = []
    for n in ns[:SUMMARY_LINES]:
        inst = instance_of(n)
        items.append((f"• {status_word(n)} {n.severity.upper()} {n.alertname}" + (f" ({inst})" if inst else "")
                      + f": {one_line(summary_of(n), 100)}", msg.ack_of(n, recipient)))
    tail = []
    if len(ns) > SUMMARY_LINES:
        tail.append(f"… and {len(ns) - SUMMARY_LINES} more")
    if msg.public_url:
        tail.append(f"All alerts: {msg.public_url}")
    # Every group's acknowledge link, most severe first, as many as fit: the list itself is never cut for them.
    room = TEXT_MAX - len("\n".join([head, *(line for line, _ in items), *tail]))
    lines = [head]
    for line, ack in items:
        lines.append(line)
        link = f"  Acknowledge: {ack}" if ack else ""
        if link and len(link) + 1 <= room:  # + its newline
            lines.append(link)
            room -= len(link) + 1
    return _cap("\n".join(lines + tail))


def _cap(text: str) -> str:
    return text if len(text) <= TEXT_MAX else text[: TEXT_MAX - 1] + "…"


def email_subject(msg: Message) -> str:
    if msg.summary:
        ns = msg.notifications
        firing = sum(1 for n in ns if n.status == "firing")
        return f"[SUMMARY] {len(ns)} alert notifications ({firing} firing)"
    n = msg.first
    count = len(n.firing) if n.status == "firing" else len(n.resolved)
    inst = instance_of(n)
    subject = f"[{status_word(n)}:{count}] {n.alertname} ({n.severity})" + (f" {inst}" if inst else "")
    prefix = "[TEST] " if msg.test else "[NOT ACKNOWLEDGED] " if msg.escalation else ""
    return one_line(prefix + subject, 180)


def email_bodies(msg: Message, recipient: str, now: float | None = None) -> tuple[str, str]:
    """(plain text, HTML) listing every alert of every notification."""
    now = time.time() if now is None else now
    text: list[str] = []
    parts: list[str] = []
    for n in _by_severity(msg.notifications):
        text.append(headline(n))
        text.append(summary_of(n))
        parts.append(f"<h2>{html.escape(headline(n))}</h2><p>{html.escape(summary_of(n))}</p>")
        for key, url in links(msg, n).items():
            text.append(f"{key.capitalize()}: {url}")
            parts.append(f'<p><a href="{html.escape(url, quote=True)}">{html.escape(key.capitalize())}</a></p>')
        ack = msg.ack_of(n, recipient)
        if ack:
            text.append(f"Acknowledge: {ack}")
            parts.append(f'<p><a href="{html.escape(ack, quote=True)}"><b>Acknowledge</b></a></p>')
        rows = []
        for a in n.payload.alerts:
            ts = f"resolved {when(a.ends, now)}" if a.status == "resolved" else f"since {when(a.starts, now)}"
            text.append("")
            text.append(f"- {a.status.upper()} {a.name} {ts}")
            labels = ", ".join(f"{k}={v}" for k, v in sorted(a.labels.items()))
            text.append(f"  labels: {labels}")
            for k, v in sorted(a.annotations.items()):
                text.append(f"  {k}: {v}")
            ann = "".join(f"<div><b>{html.escape(k)}</b>: {html.escape(v)}</div>"
                          for k, v in sorted(a.annotations.items()))
            rows.append(f"<tr><td>{html.escape(a.status)}</td><td>{html.escape(ts)}</td>"
                        f"<td>{html.escape(labels)}</td><td>{ann}</td></tr>")
        if n.payload.truncatedAlerts:
            text.append(f"(+{n.payload.truncatedAlerts} alerts Alertmanager left out)")
        parts.append('<table border="1" cellpadding="4" cellspacing="0"><tr><th>status</th><th>when</th>'
                     f"<th>labels</th><th>annotations</th></tr>{''.join(rows)}</table>")
        text.append("")
    body_html = ("<!doctype html><html><body style=\"font-family:sans-serif\">" + "".join(parts)
                 + "<p style=\"color:#888\">Sent by cflexagent's alert relay.</p></body></html>")
    return "\n".join(text).rstrip() + "\n", body_html


def fields(msg: Message, recipient: str, now: float | None = None) -> dict[str, str]:
    """Placeholder values for generic gateways and Cloud API template parameters."""
    n = msg.first
    ls = links(msg, n)
    url = ls.get("dashboard") or ls.get("runbook") or msg.public_url
    return {"to": recipient, "text": whatsapp_text(msg, recipient, now), "severity": n.severity,
            "alertname": n.alertname if not msg.summary else f"{len(msg.notifications)} alerts",
            "summary": summary_of(n) if not msg.summary else "several alerts held back by the rate limit",
            "url": url, "status": n.status}
