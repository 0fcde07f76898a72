"""UTF-8 helpers shared by the log pipeline's stages."""

from __future__ import annotations


def cut_utf8(b: bytes, limit: int) -> bytes:
    """``b`` cut to at most ``limit`` bytes on a UTF-8 character boundary."""
    if len(b) <= limit:
        return b
    cut = limit
    while cut > 0 and (b[cut] & 0xC0) == 0x80:
        cut -= 1
    return b[:cut]
