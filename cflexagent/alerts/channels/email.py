"""Email channel: SMTP (RFC 5321) through aiosmtplib, one message per recipient.

One connection per send; ``tls = "starttls"`` requires STARTTLS (no silent
downgrade), ``"tls"`` is implicit TLS (port 465), ``"none"`` plain. Each
recipient gets its own message (own acknowledge link, nobody sees the others'
addresses). SMTP 4xx answers, timeouts and refused or dropped connections are
transient; 5xx answers (and a failed login) are permanent. The password file
is read at each send and never logged.
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from ..config import EmailChannel
from ..message import Message, email_bodies, email_subject
from .base import Delivered, Permanent, Result, Transient, combine, read_secret, scrub


def classify(exc: BaseException) -> Transient | Permanent:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        exc = exc.recipients[0]
    if isinstance(exc, (aiosmtplib.SMTPConnectTimeoutError, aiosmtplib.SMTPTimeoutError, TimeoutError)):
        return Transient("timeout", "SMTP server did not answer in time")
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return Permanent("auth", f"login refused: {exc.code} {scrub(exc.message)}")
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        code = int(exc.code)
        text = f"{code} {scrub(exc.message)}"
        if 400 <= code < 500:
            return Transient("smtp_4xx", text)
        if code >= 500:
            return Permanent("smtp_5xx", text)
        return Transient("protocol", text)
    if isinstance(exc, aiosmtplib.SMTPNotSupported):
        return Permanent("tls", scrub(str(exc)))
    if isinstance(exc, ssl.SSLError):
        return Permanent("tls", scrub(getattr(exc, "reason", None) or str(exc)))
    if isinstance(exc, aiosmtplib.SMTPConnectError):
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, ssl.SSLError):
            return Permanent("tls", scrub(getattr(cause, "reason", None) or str(cause)))
        if isinstance(cause, ConnectionRefusedError) or "refused" in str(exc).lower():
            return Transient("refused", "connection refused")
        return Transient("connect", scrub(str(exc)))
    if isinstance(exc, (aiosmtplib.SMTPServerDisconnected, ConnectionError)):
        return Transient("connect", scrub(str(exc)) or "connection lost")
    if isinstance(exc, OSError):
        return Transient("connect", scrub(exc.strerror or str(exc)))
    return Transient("protocol", scrub(f"{type(exc).__name__}: {exc}"))


class EmailSender:
    def __init__(self, cfg: EmailChannel) -> None:
        self.cfg = cfg
        self.name = cfg.name
        self.recipients = list(cfg.to)

    def _ssl(self) -> ssl.SSLContext | None:
        if self.cfg.tls == "none":
            return None
        ctx = ssl.create_default_context(cafile=self.cfg.ca_file or None)
        return ctx

    def build(self, message: Message, recipient: str) -> EmailMessage:
        text, body_html = email_bodies(message, recipient)
        m = EmailMessage()
        m["From"] = self.cfg.from_
        m["To"] = recipient
        m["Subject"] = email_subject(message)
        m["Date"] = formatdate(time.time())
        domain = self.cfg.from_.rpartition("@")[2]
        m["Message-ID"] = make_msgid("alert", domain=domain)
        if not message.summary:
            # Firing and resolved mails of a group thread together in mail clients.
            thread = hashlib.sha256(message.first.payload.groupKey.encode()).hexdigest()[:24]
            m["References"] = f"<group-{thread}@{domain}>"
        m["Auto-Submitted"] = "auto-generated"
        m.set_content(text)
        m.add_alternative(body_html, subtype="html")
        return m

    async def send(self, message: Message, done: frozenset[str]) -> Result:
        todo = [r for r in self.recipients if r not in done]
        if not todo:
            return Delivered(tuple(sorted(done)))
        password = None
        if self.cfg.password_file:
            try:
                password = read_secret(self.cfg.password_file)
            except OSError as e:
                return Permanent("credentials", f"cannot read password_file: {e.strerror or e}")
        client = aiosmtplib.SMTP(hostname=self.cfg.host, port=self.cfg.port, timeout=float(self.cfg.timeout),
                                 use_tls=self.cfg.tls == "tls", start_tls=self.cfg.tls == "starttls",
                                 tls_context=self._ssl())
        results: list[tuple[str, Result]] = []
        try:
            async with asyncio.timeout(float(self.cfg.timeout) * (len(todo) + 2)):
                await client.connect()
                if self.cfg.username:
                    await client.login(self.cfg.username, password or "")
                for rcpt in todo:
                    try:
                        errors, _ = await client.send_message(self.build(message, rcpt), sender=self.cfg.from_,
                                                              recipients=[rcpt])
                    except aiosmtplib.SMTPRecipientsRefused as e:
                        results.append((rcpt, classify(e)))
                        continue
                    if errors:
                        code, text = next(iter(errors.values()))
                        res = classify(aiosmtplib.SMTPResponseException(code, text))
                        results.append((rcpt, res))
                    else:
                        results.append((rcpt, Delivered()))
        except BaseException as e:
            if isinstance(e, asyncio.CancelledError):
                raise
            if not isinstance(e, Exception):
                raise
            results.append(("", classify(e)))
        finally:
            if client.is_connected:
                try:
                    async with asyncio.timeout(2):
                        await client.quit()
                except Exception:
                    client.close()
        return combine(results, done)

    async def close(self) -> None:
        return None
