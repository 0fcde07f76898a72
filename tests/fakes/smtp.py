"""A real SMTP server (aiosmtpd) on loopback, in the test's event loop, with failure modes.

``mode``: ``ok`` (250, the message is kept), ``421`` (service not available,
answered at DATA: a transient failure), ``451`` (local error in processing, at
DATA: transient too), ``554`` (transaction failed: permanent),
``hang`` (accepts the connection, never answers DATA), ``silent`` (accepts the
connection and never says a word, not even its 220 greeting; ``open``
counts such connections still open). ``refuse()`` /
``accept()`` stop and resume listening. STARTTLS is offered when a
``tls_context`` is given (``require_starttls``), AUTH when ``users`` are.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections import Counter
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass
class SMTPDouble:
    mode: str = "ok"
    tls_context: Any = None
    users: dict[str, str] = field(default_factory=dict)
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    answers: Counter[str] = field(default_factory=Counter)
    port: int = 0

    def __post_init__(self) -> None:
        self._server: asyncio.base_events.Server | None = None
        self._changed = asyncio.Condition()
        self._unhang = asyncio.Event()
        self.open = 0
        self._silent: set[asyncio.Transport] = set()

    def _protocol(self) -> asyncio.Protocol:
        if self.mode == "silent":
            return _Silent(self)
        auth = bool(self.users)
        return SMTP(self, hostname="mx.test", tls_context=self.tls_context,
                    require_starttls=self.tls_context is not None, auth_required=auth,
                    auth_require_tls=self.tls_context is not None, authenticator=self._auth if auth else None,
                    timeout=30)

    def _auth(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        if isinstance(data, LoginPassword) and self.users.get(data.login.decode()) == data.password.decode():
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def refuse(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def accept(self) -> None:
        if self._server is None:
            await self.start()

    async def stop(self) -> None:
        self._unhang.set()
        for t in list(self._silent):
            t.close()
        await self.refuse()

    def set_mode(self, mode: str) -> None:
        assert mode in ("ok", "421", "451", "554", "hang", "silent"), mode
        self.mode = mode
        if mode == "hang":
            self._unhang.clear()
        else:
            self._unhang.set()

    async def wait_for(self, predicate: Any, within: float = 30.0) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), within)

    async def _note(self, answer: str) -> str:
        self.answers[answer[:3]] += 1
        async with self._changed:
            self._changed.notify_all()
        return answer

    # aiosmtpd handler hook
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.mode == "hang":
            await self._unhang.wait()
        if self.mode == "421":
            return await self._note("421 4.3.2 Service not available, try again later")
        if self.mode == "451":
            return await self._note("451 4.3.0 Local error in processing")
        if self.mode == "554":
            return await self._note("554 5.7.1 Message rejected as spam")
        raw = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return await self._note("250 2.0.0 OK queued")


class _Silent(asyncio.Protocol):
    """A connection that is accepted and never answered; what the client sends is read and dropped."""

    def __init__(self, double: SMTPDouble) -> None:
        self.double = double
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.double._silent.add(transport)
        self.double.open += 1

    def connection_lost(self, exc: Exception | None) -> None:
        if self.transport is not None:
            self.double._silent.discard(self.transport)
        self.double.open -= 1


def bodies(msg: EmailMessage) -> tuple[str, str]:
    """(text/plain, text/html) of a multipart/alternative message, with plain line ends."""
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    return ((text.get_content() if text is not None else "").replace("\r\n", "\n"),  # type: ignore[attr-defined]
            (html.get_content() if html is not None else "").replace("\r\n", "\n"))  # type: ignore[attr-defined]
