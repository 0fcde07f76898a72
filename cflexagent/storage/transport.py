"""A TCP connector for asyncssh that coalesces the writes of one event-loop turn.

asyncssh sends every SSH packet with its own ``transport.write`` (and puts an
SSH_MSG_IGNORE before each encrypted packet), so a walk that has 64 directory
requests in flight makes two ``send`` system calls per SFTP request. Writes
made during one loop iteration are joined here and handed to the socket once,
at the end of that iteration: the byte stream and its order are unchanged,
only the number of system calls drops. It plugs in through asyncssh's
``tunnel=`` hook (any object with ``create_connection(factory, host, port)``).
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any


class _CoalescingTransport:
    """Looks like the real transport to asyncssh; buffers ``write`` until the loop turn ends."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._t = transport
        self._loop = loop
        self._buf: list[bytes] = []
        self._scheduled = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._buf.append(bytes(data))
        if not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self.flush)

    def writelines(self, chunks: Any) -> None:
        for c in chunks:
            self.write(c)

    def flush(self) -> None:
        self._scheduled = False
        if self._buf and not self._t.is_closing():
            data = b"".join(self._buf)
            self._buf.clear()
            self._t.write(data)
        else:
            self._buf.clear()

    def write_eof(self) -> None:
        self.flush()
        self._t.write_eof()

    def close(self) -> None:
        self.flush()
        self._t.close()

    def get_write_buffer_size(self) -> int:
        return self._t.get_write_buffer_size() + sum(map(len, self._buf))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._t, name)


class _Shim(asyncio.Protocol):
    """Hands asyncssh's protocol the coalescing transport and forwards every event to it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.inner.connection_made(_CoalescingTransport(transport, asyncio.get_running_loop()))

    def data_received(self, data: bytes) -> None:
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()  # type: ignore[no-any-return]

    def connection_lost(self, exc: Exception | None) -> None:
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()


class CoalescingConnector:
    """Pass as ``asyncssh.connect(..., tunnel=CoalescingConnector())``."""

    def __init__(self, family: int = socket.AF_UNSPEC) -> None:
        self._family = family

    async def create_connection(self, session_factory: Any, host: str, port: int) -> tuple[Any, Any]:
        loop = asyncio.get_running_loop()
        inner: list[Any] = []

        def factory() -> asyncio.Protocol:
            proto = session_factory()
            inner.append(proto)
            return _Shim(proto)

        transport, _ = await loop.create_connection(factory, host, port, family=self._family)
        return transport, inner[0]

    # asyncssh calls these on a tunnel when the connection closes; the TCP socket is the connection's own.
    def close(self) -> None:
        pass

    async def wait_closed(self) -> None:
        pass
