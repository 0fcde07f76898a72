"""Route selection as configs/cflexagent.example.toml documents it: "Routes, first match wins. A route
matches by the group's severity (commonLabels.severity, else its most severe alert's; "" = any) and by
`match` labels that every alert of the group carries." Each route here ends at its own mailbox on the
SMTP double, so the recipient says which route a notification took."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp

from tests.fakes.smtp import SMTPDouble

from .conftest import email_channel, payload, post, relay_section, route, start_relay

ROUTES = [
    # (the route's keys, its mailbox)
    ({"match": '{ alertname = "DiskFull" }'}, "disk@cflex.example"),
    ({"severity": "warning", "match": '{ alertname = "HighErrorRate", job = "api" }'}, "api-warn@cflex.example"),
    ({"severity": "critical"}, "critical@cflex.example"),
    ({}, "rest@cflex.example"),
]


def routes_config(smtp: SMTPDouble, token: Path) -> str:
    channels = "".join(email_channel(smtp, name=f"r{i}", to=to) for i, (_, to) in enumerate(ROUTES))
    routes = "".join(route(f'["r{i}"]', **keys) for i, (keys, _) in enumerate(ROUTES))
    return relay_section(token, channels, routes)


def mixed_job_group() -> dict[str, Any]:
    """HighErrorRate (warning) over two alerts, one of job "api", one of job "web": job is not a common label."""
    doc = payload(alertname="HighErrorRate", severity="warning", fingerprint="bbbb000000000001", n_alerts=2,
                  group='{}:{alertname="HighErrorRate", instance="two"}')
    doc["alerts"][1]["labels"]["job"] = "web"
    del doc["commonLabels"]["job"]
    return doc


async def test_first_matching_route_wins_by_match_labels_and_severity(
        start_agent: Any, smtp: SMTPDouble, secrets: dict[str, Path], http: aiohttp.ClientSession) -> None:
    r = await start_relay(start_agent, routes_config(smtp, secrets["relay_token"]))
    cases = [
        # A critical DiskFull: the match route comes first, before the critical route.
        (payload(alertname="DiskFull", fingerprint="d15c000000000001"), "disk@cflex.example"),
        # Any severity matches a route without one.
        (payload(alertname="DiskFull", severity="info", fingerprint="d15c000000000002",
                 group='{}:{alertname="DiskFull", instance="b"}'), "disk@cflex.example"),
        # match and severity together: both must hold.
        (payload(alertname="HighErrorRate", severity="warning", fingerprint="aaaa000000000001"),
         "api-warn@cflex.example"),
        # The right labels, another severity: the next route that matches.
        (payload(alertname="HighErrorRate", severity="critical", fingerprint="aaaa000000000002",
                 group='{}:{alertname="HighErrorRate", severity="critical"}'), "critical@cflex.example"),
        # A match label only some alerts of the group carry does not match.
        (mixed_job_group(), "rest@cflex.example"),
        (payload(alertname="Other", severity="warning", fingerprint="cccc000000000001"), "rest@cflex.example"),
    ]
    for i, (doc, _) in enumerate(cases):
        status, answer = await post(http, r, doc)
        assert (status, answer["status"]) == (200, "accepted"), (i, answer)
        await smtp.wait_for(lambda i=i: len(smtp.messages) == i + 1)
    got = [(m["Subject"].split()[1], m["To"]) for m in smtp.messages]
    assert got == [(doc["commonLabels"]["alertname"], to) for doc, to in cases]
    assert r.value("cflexagent_alert_webhooks_total", {"result": "unrouted"}) == 0
