"""An nginx_access source end to end through the real agent and the Loki double: query strings redacted,
a field action on a parsed field, the derived HTTP metrics."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.conftest import loki, loki_section, source_section, start_agent
from tests.fakes.loki import LokiDouble, by_stream

__all__ = ["loki", "start_agent"]


def nginx_line(i: int, path: str, status: int, rt: float, user: str = "-") -> str:
    import time

    t = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime())
    return (f'203.0.113.{i % 250} - {user} [{t}] "GET {path} HTTP/1.1" {status} 512 "-" "curl/8.0" {rt:.3f}\n')


async def test_nginx_source_redacts_and_derives(tmp_path: Path, loki: LokiDouble, start_agent: Any) -> None:
    log = tmp_path / "access.log"
    lines = [nginx_line(i, p, s, rt) for i, (p, s, rt) in enumerate([
        ("/api/orders?name=Budi+Santoso&email=budi%40example.com&phone=081234567890", 200, 0.120),
        ("/dl/F-1.pdf?X-Amz-Signature=abcdef0123&X-Amz-Credential=AKIA1", 200, 0.050),
        ("/api/approvals", 502, 3.500),
        ("/health", 404, 0.001),
    ])] + [nginx_line(9, "/u/alice.w/files", 200, 0.010, user="alice.w")]
    log.write_text("".join(lines))
    fmt = ('$remote_addr - $remote_user [$time_local] \\"$request\\" $status $body_bytes_sent '
           '\\"$http_referer\\" \\"$http_user_agent\\" $request_time')
    text = loki_section(loki.url) + source_section(
        "nginx", str(log), format='"nginx_access"', nginx_log_format=f'"{fmt}"', label_fields='["status_class"]',
        labels='{ job = "nginx" }') + '[logs.redact]\nfield_actions = { remote_user = "hash" }\n'
    agent = await start_agent(text)
    await loki.wait_for(lambda: loki.accepted >= 5, within=60)
    shipped = [x for v in by_stream(loki).values() for x in v]
    joined = "\n".join(shipped)
    assert "081234567890" not in joined and "abcdef0123" not in joined and "AKIA1" not in joined
    assert "phone=<redacted:phone>" in joined and "X-Amz-Signature=<redacted:secret>" in joined
    assert "Budi" not in joined and "budi%40example.com" not in joined  # query strings: fields and %-encoding
    assert "?name=<redacted:name>&email=<redacted:email>&" in joined
    assert "/api/approvals" in joined and "203.0.113.2" in joined  # IPs kept by default
    # A field action on a parsed field (the HTTP auth user) masks it in the shipped line too.
    assert "alice" not in joined and len(re.findall(r"<remote_user:[0-9a-f]{16}>", joined)) == 2
    assert any('status_class="5xx"' in k for k in by_stream(loki))
    v = agent.value
    assert v("cflex_http_requests_total", {"source": "nginx", "status_class": "2xx"}) == 3
    assert v("cflex_http_request_duration_seconds_bucket", {"source": "nginx", "le": "3.0"}) == 4
    assert v("cflex_http_request_duration_seconds_count", {"source": "nginx"}) == 5
    assert v("cflexagent_log_redactions_total", {"source": "nginx", "rule": "secret"}) == 2
    await agent.stop()
