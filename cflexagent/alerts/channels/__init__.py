"""Delivery channels: ``CHANNEL_KINDS`` maps a channel's ``kind`` to its sender (a plain dict, like the
probers); the contract every sender keeps (``send(message) -> Delivered | Transient | Permanent``) is in
``base.py``, the senders are ``email.py`` and ``whatsapp.py``.
"""

from __future__ import annotations

from collections.abc import Callable

from ..config import ChannelConfig, EmailChannel, WhatsAppChannel
from .base import REASONS, Channel, Delivered, Permanent, Result, Transient, read_secret

__all__ = ["CHANNEL_KINDS", "REASONS", "Channel", "Delivered", "Permanent", "Result", "Transient", "build_channel",
           "read_secret"]


def build_channel(cfg: ChannelConfig) -> Channel:
    return CHANNEL_KINDS[cfg.kind](cfg)


def _email(cfg: ChannelConfig) -> Channel:
    from .email import EmailSender

    assert isinstance(cfg, EmailChannel)
    return EmailSender(cfg)


def _whatsapp(cfg: ChannelConfig) -> Channel:
    from .whatsapp import WhatsAppSender

    assert isinstance(cfg, WhatsAppChannel)
    return WhatsAppSender(cfg)


#: Channel kind (the ``kind`` key, the config struct's tag) -> its sender.
CHANNEL_KINDS: dict[str, Callable[[ChannelConfig], Channel]] = {"email": _email, "whatsapp": _whatsapp}
