"""``/runbooks/``: the page every rendered alert's runbook_url points at, served by a real agent."""

from __future__ import annotations

import re
from typing import Any

import aiohttp
import yaml

from cflexagent.config import parse
from cflexagent.render import render_all
from cflexagent.runbooks import anchor, source

from .test_server_auth import auth_agent


def rendered_runbook_urls(text: str) -> dict[str, str]:
    urls = {}
    for path, data in render_all(parse(text, "x.toml"), "x.toml", only=["prometheus"]).items():
        if path.startswith("prometheus/rules/"):
            for g in yaml.safe_load(data)["groups"]:
                for r in g["rules"]:
                    if "alert" in r:
                        urls[r["alert"]] = r["annotations"]["runbook_url"]
    return urls


async def test_every_alerts_runbook_anchor_is_a_heading_of_the_page_open_without_credentials(
        start_agent: Any) -> None:
    a = await auth_agent(start_agent)  # basic auth on: /metrics needs it, the runbooks do not
    async with aiohttp.ClientSession() as http:
        async with http.get(a.url + "/metrics") as resp:
            assert resp.status == 401
        async with http.get(a.url + "/runbooks/") as resp:
            assert resp.status == 200 and resp.content_type == "text/html"
            assert resp.headers["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
            page = await resp.text()
    ids = set(re.findall(r'<h[1-6] id="([^"]+)"', page))
    assert "on-call-procedure" in ids and "<title>Operations: on-call procedure and runbooks</title>" in page
    # Without nginx the links go to the agent itself; with the site (the default), through it.
    for text, base in (("[render.nginx]\nenabled = false\n", "http://127.0.0.1:9087/runbooks/"),
                       ("", "https://localhost/runbooks/")):
        urls = rendered_runbook_urls(text)
        assert len(urls) > 20
        for alert, url in urls.items():
            head, _, frag = url.partition("#")
            assert head == base and frag in ids, (alert, url)
    # Every heading of the Markdown became an id, and raw HTML in it would be text, not markup.
    headings = re.findall(r"^#{1,6} (.+)$", source(), re.M)
    assert {anchor(h) for h in headings} <= ids


def test_raw_html_in_the_markdown_is_escaped() -> None:
    from cflexagent.runbooks import to_html

    html = to_html("# T\n\n<script>alert(1)</script>\n\n## Probe down\n")
    assert "<script>" not in html and "&lt;script&gt;" in html and '<h2 id="probe-down">' in html


def test_every_alert_section_says_what_it_means_what_to_check_fix_and_when_to_escalate() -> None:
    sections = re.split(r"^## ", source(), flags=re.M)[1:]
    for sec in sections:
        title = sec.splitlines()[0]
        if title == "On-call procedure":
            continue
        missing = [p for p in ("**Means**", "**First checks**", "**Fixes**", "**Escalate**") if p not in sec]
        assert not missing, (title, missing)
