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


def split_utf8(b: bytes, limit: int) -> tuple[list[bytes], bytes]:
    """``b`` in pieces of at most ``limit`` bytes cut between characters, while more than ``limit`` is left;
    returns the pieces and the rest (at most ``limit`` bytes). A run of ``limit`` bytes with no character
    boundary (not UTF-8) is cut raw: the UTF-8 check downstream repairs it."""
    pieces, pos = [], 0
    while len(b) - pos > limit:
        # limit + 1 bytes: cut_utf8 sees whether the byte after the cut continues a character.
        piece = cut_utf8(b[pos:pos + limit + 1], limit) or b[pos:pos + limit]
        pieces.append(piece)
        pos += len(piece)
    return pieces, b[pos:]
