"""systemd unit files from data: sections of (key, value) pairs, values checked for line breaks."""

from __future__ import annotations

from .common import RenderContext


def unit(ctx: RenderContext, sections: dict[str, list[tuple[str, str]]]) -> bytes:
    out = [ctx.header()]
    for name, items in sections.items():
        out.append(f"\n[{name}]\n")
        for key, value in items:
            if "\n" in value or "\n" in key:
                raise ValueError(f"systemd unit: {name}.{key} must be one line")
            out.append(f"{key}={value}\n")
    return "".join(out).encode()
