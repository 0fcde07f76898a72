"""The runbooks page: the packaged OPERATIONS.md as HTML on ``/runbooks/``.

Every alert ``cflexagent render`` generates carries a ``runbook_url`` with an
anchor per alert (``render/common.py``: ``anchor``). Those links must open
something at 3 a.m., on the phone that got the WhatsApp message: the agent
serves the runbooks it was built with, and the bundled nginx site publishes
that one path. The page is the project's own documentation (no secrets), so
it is open like ``/healthz``, with a strict Content-Security-Policy (no
scripts, nothing loaded from elsewhere) and raw HTML in the Markdown off.

CommonMark (markdown-it-py) renders it; each heading gets the id the GitHub
style anchor gives it (``anchor``), the same function the alert annotations use.
"""

from __future__ import annotations

import functools
from importlib import resources

from aiohttp import web

from . import __version__

PATH = "/runbooks/"

_STYLE = ("body{font:16px/1.5 system-ui,sans-serif;max-width:50em;margin:1em auto;padding:0 1em;color:#222}"
          "code,pre{font:14px ui-monospace,monospace;background:#f4f4f4}pre{padding:.6em;overflow-x:auto}"
          "h2{border-top:1px solid #ddd;padding-top:.8em}h2:target,h3:target{background:#fff3c4}"
          "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em}")

HEADERS = {
    "Cache-Control": "max-age=300",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def anchor(heading: str) -> str:
    """The anchor GitHub, GitLab and Gitea give a Markdown heading (lower case, spaces to dashes): the ids of
    this page, and the fragment of every rendered alert's runbook_url (``render/common.py``)."""
    out = []
    for ch in heading.strip().lower():
        if ch.isalnum() or ch in "-_":
            out.append(ch)
        elif ch == " ":
            out.append("-")
    return "".join(out)


def source() -> str:
    return resources.files("cflexagent").joinpath("data/OPERATIONS.md").read_text(encoding="utf-8")


def to_html(markdown: str) -> str:
    """The whole page: the Markdown rendered, every heading with its anchor as id."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = md.parse(markdown)
    title = "Runbooks"
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and i + 1 < len(tokens):
            text = tokens[i + 1].content
            tok.attrSet("id", anchor(text))
            if tok.tag == "h1" and title == "Runbooks":
                title = text
    body = md.renderer.render(tokens, md.options, {})
    esc = title.replace("&", "&amp;").replace("<", "&lt;")
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc}</title><style>{_STYLE}</style></head><body>{body}"
            f"<footer><small>cflexagent {__version__}</small></footer></body></html>")


@functools.cache
def page() -> bytes:
    return to_html(source()).encode("utf-8")


async def handle(request: web.Request) -> web.Response:
    return web.Response(body=page(), content_type="text/html", charset="utf-8", headers=HEADERS)
