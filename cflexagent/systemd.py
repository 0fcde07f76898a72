"""sd_notify over the NOTIFY_SOCKET datagram socket (no libsystemd dependency).

Protocol: https://www.freedesktop.org/software/systemd/man/sd_notify.html.
The socket path is read once and removed from the environment so child
processes (``journalctl``) never inherit it. Under a PyInstaller one-file
binary the bootloader is the unit's main PID and we are its child; the unit
sets ``NotifyAccess=all`` so our messages are accepted.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time

from .telemetry import get_logger

log = get_logger("systemd")


class Notifier:
    def __init__(self) -> None:
        self._address = os.environ.pop("NOTIFY_SOCKET", None) or None
        usec = os.environ.pop("WATCHDOG_USEC", None)
        os.environ.pop("WATCHDOG_PID", None)
        self.watchdog_interval = int(usec) / 2e6 if usec and usec.isdigit() and int(usec) > 0 else None

    @property
    def enabled(self) -> bool:
        return self._address is not None

    def notify(self, message: str) -> None:
        if not self._address:
            return
        addr = "\0" + self._address[1:] if self._address.startswith("@") else self._address
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(message.encode(), addr)
        except OSError as e:
            log.warning("sd_notify failed", error=str(e), message=message.split("\n")[0])

    def ready(self) -> None:
        self.notify("READY=1\nSTATUS=running")

    def reloading(self) -> None:
        self.notify(f"RELOADING=1\nMONOTONIC_USEC={time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000}")

    def stopping(self) -> None:
        self.notify("STOPPING=1")

    async def watchdog(self, stop: asyncio.Event) -> None:
        """Ping the watchdog from the event loop: a stalled loop stops the pings and systemd restarts us."""
        if not self._address or self.watchdog_interval is None:
            return
        while not stop.is_set():
            self.notify("WATCHDOG=1")
            try:
                await asyncio.wait_for(stop.wait(), self.watchdog_interval)
            except TimeoutError:
                pass
