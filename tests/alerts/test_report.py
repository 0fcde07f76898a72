"""The alert history and ``cflexagent alerts report`` on a generated history with a fixed clock:
MTTR, time to acknowledge and noise figures computed by hand; the history's retention."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import orjson
import pytest
from prometheus_client import CollectorRegistry

from cflexagent.alerts.config import HistoryConfig
from cflexagent.alerts.history import AlertStore, HistoryMetrics, nearest_rank, report
from cflexagent.alerts.outbox import JobPlan, outbox_path
from cflexagent.alerts.webhook import Payload
from tests.fakes.smtp import SMTPDouble

from .conftest import email_channel, eventually, payload, post, relay_section, route, start_relay, until

T0 = float(int(time.time()) - 3 * 86400)


class History:
    def __init__(self, state: Path) -> None:
        self.now = T0
        self.registry = CollectorRegistry()
        self.store = AlertStore(outbox_path(state), HistoryConfig(), HistoryMetrics(self.registry),
                                clock=lambda: self.now)

    def at(self, t: float) -> History:
        self.now = T0 + t
        return self

    def webhook(self, name: str, sev: str, fp: str, starts: float, status: str = "firing",
                ends: float | None = None) -> int | None:
        doc = payload(alertname=name, severity=sev, status=status, fingerprint=fp, group=f"{{}}:{{fp={fp}}}")
        doc["alerts"][0]["startsAt"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(T0 + starts))
        if ends is not None:
            doc["alerts"][0]["endsAt"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(T0 + ends))
        p = msgspec.convert(doc, Payload)
        res = self.store.accept(dedup_key=f"{fp}:{starts}:{status}", group_key=p.groupKey, status=status,
                                severity=sev, route=0, payload=msgspec.json.encode(p),
                                jobs=[JobPlan("route", ("mail",))], dedup_window=60, outbox_max=1000)
        return res.notification_id

    def deliver(self) -> None:
        for job in self.store.due("mail", float("inf")):
            self.store.delivered(job, ["ops@cflex.example"], self.now)

    def group_of(self, fp: str) -> int:
        return int(self.store.db.execute("SELECT group_id FROM alerts WHERE fingerprint = ?", (fp,)).fetchone()[0])

    def alert(self, name: str, sev: str, fp: str, starts: float, seen: float, delivered: float,
              acked: float | None, ends: float) -> None:
        self.at(seen).webhook(name, sev, fp, starts)
        self.at(delivered).deliver()
        if acked is not None:
            assert self.at(acked).store.acknowledge(self.group_of(fp), "wa:628123456789").result == "acknowledged"
        self.at(ends).webhook(name, sev, fp, starts, "resolved", ends)
        self.deliver()

    def value(self, name: str, labels: dict[str, str]) -> float:
        return self.registry.get_sample_value(name, labels) or 0.0


def generate(state: Path) -> History:
    h = History(state)
    # HighErrorRate, critical: TTA 600 and 1200 s, TTR 3600, 18000 and 120 s (the last: noise, short).
    h.alert("HighErrorRate", "critical", "a1", starts=0, seen=60, delivered=90, acked=690, ends=3600)
    h.alert("HighErrorRate", "critical", "a2", starts=10000, seen=10030, delivered=10040, acked=11240, ends=28000)
    h.alert("HighErrorRate", "critical", "a3", starts=20000, seen=20000, delivered=20010, acked=None, ends=20120)
    # DiskFull, warning: TTA 300 s, TTR 7200 s.
    h.alert("DiskFull", "warning", "d1", starts=30000, seen=30000, delivered=30005, acked=30305, ends=37200)
    # Flappy, info: the same fingerprint fires 4 times within 24 h, 600 s each; the 4th is flapping noise.
    for i in range(4):
        s = 40000 + i * 1200
        h.alert("Flappy", "info", "f1", starts=s, seen=s, delivered=s + 1, acked=None, ends=s + 600)
    return h


def test_nearest_rank() -> None:
    assert nearest_rank([120, 3600, 18000], 0.5) == 3600
    assert nearest_rank([120, 3600, 18000], 0.95) == 18000
    assert nearest_rank([300], 0.95) == 300
    assert nearest_rank([], 0.5) is None


def test_report_figures_on_a_generated_history(tmp_path: Path) -> None:
    h = generate(tmp_path / "state")
    rows = {(r.alertname, r.severity): r for r in report(h.store, 30, h.now)}
    her = rows[("HighErrorRate", "critical")]
    assert (her.count, her.resolved, her.acked, her.noise) == (3, 3, 2, 1)
    assert (her.mttr_p50, her.mttr_p95, her.tta_p50, her.tta_p95) == (3600, 18000, 600, 1200)
    disk = rows[("DiskFull", "warning")]
    assert (disk.count, disk.mttr_p50, disk.mttr_p95, disk.tta_p50, disk.tta_p95, disk.noise) == \
        (1, 7200, 7200, 300, 300, 0)
    flappy = rows[("Flappy", "info")]
    assert (flappy.count, flappy.noise, flappy.mttr_p50, flappy.tta_p50) == (4, 1, 600, None)
    total = rows[("*", "*")]
    assert (total.count, total.noise, total.mttr_p50, total.mttr_p95, total.tta_p50, total.tta_p95) == \
        (8, 2, 600, 18000, 600, 1200)
    assert total.noise_ratio == pytest.approx(0.25)
    # The metrics say the same.
    crit = {"severity": "critical", "alertname": "HighErrorRate"}
    assert h.value("cflexagent_alerts_fired_total", crit) == 3
    assert h.value("cflexagent_alerts_acknowledged_total", crit) == 2
    assert h.value("cflexagent_alerts_auto_resolved_total", crit) == 1
    assert h.value("cflexagent_alerts_noise_total", {**crit, "reason": "short"}) == 1
    assert h.value("cflexagent_alerts_noise_total", {"severity": "info", "alertname": "Flappy",
                                                     "reason": "flapping"}) == 1
    assert h.value("cflexagent_alert_time_to_acknowledge_seconds_sum", crit) == 1800
    assert h.value("cflexagent_alert_time_to_acknowledge_seconds_bucket", {**crit, "le": "900.0"}) == 1
    assert h.value("cflexagent_alert_time_to_resolve_seconds_sum", crit) == 3600 + 18000 + 120
    # The window: nothing older than --days counts.
    assert report(h.store, 1, h.now + 2 * 86400)[-1].count == 0
    h.store.close()


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cflexagent", "alerts", *args], capture_output=True, text=True,
                          timeout=60)


def test_report_cli_formats_and_marks(tmp_path: Path) -> None:
    generate(tmp_path / "state").store.close()
    cfg = tmp_path / "a.toml"
    cfg.write_text(f'[agent]\nstate_dir = "{tmp_path / "state"}"\n')
    r = run_cli("report", "-c", str(cfg), "--format", "json")
    assert r.returncode == 0, r.stderr
    doc: dict[str, Any] = orjson.loads(r.stdout)
    assert doc["targets"] == {"mttr_seconds": 14400.0, "tta_seconds": 900.0, "noise_ratio": 0.05}
    her = next(x for x in doc["rows"] if x["alertname"] == "HighErrorRate")
    assert (her["mttr_p50"], her["mttr_p95"], her["tta_p50"], her["tta_p95"], her["noise_mark"]) == \
        ("ok", "OVER", "ok", "OVER", "OVER")
    assert her["noise_ratio"] == 0.3333
    table = run_cli("report", "-c", str(cfg)).stdout.splitlines()
    assert table[0] == "targets: MTTR < 4.0h, acknowledgment < 15.0m, noise < 5%"
    assert table[2].split() == ["DiskFull", "warning", "1", "2.0h", "ok", "2.0h", "ok", "5.0m", "ok", "5.0m", "ok",
                                "0.0%", "ok"]
    assert table[4].split() == ["HighErrorRate", "critical", "3", "1.0h", "ok", "5.0h", "OVER", "10.0m", "ok",
                                "20.0m", "OVER", "33.3%", "OVER"]
    assert table[5].split()[:3] == ["(all)", "8", "10.0m"]
    csv = run_cli("report", "-c", str(cfg), "--format", "csv").stdout.splitlines()
    assert csv[0].startswith("alertname,severity,count,") and len(csv) == 5
    assert run_cli("report", "-c", str(cfg), "--days", "0").returncode == 2


async def test_history_retention_deletes_old_rows_and_keeps_recent_and_open_ones(
        tmp_path: Path, start_agent: Any, smtp: SMTPDouble, secrets: dict[str, Path],
        http: aiohttp.ClientSession) -> None:
    """``[alerts.history] retention = "1d"`` over a history written with old times (T0 is 3 days ago): the
    agent prunes at start. An episode over before the cutoff goes (alerts, events, group, its done
    notifications); one of the last hour stays; one that started before the cutoff and still fires stays
    whole, so its resolve still records the MTTR."""
    h = History(tmp_path / "state")
    h.alert("OldOne", "warning", "o1", starts=0, seen=0, delivered=10, acked=100, ends=200)
    h.at(300).webhook("LongRunning", "critical", "l1", starts=300)
    h.deliver()
    recent = 3 * 86400 - 3600
    h.alert("Recent", "warning", "r1", starts=recent, seen=recent, delivered=recent + 5, acked=None,
            ends=recent + 60)
    gids = {fp: h.group_of(fp) for fp in ("o1", "l1", "r1")}
    h.store.close()
    r = await start_relay(start_agent, relay_section(secrets["relay_token"], email_channel(smtp), route('["mail"]'))
                          + '[alerts.history]\nretention = "1d"\n')
    relay_ = r.agent.supervisor.components["alerts.relay"]

    async def rows(sql: str) -> list[Any]:
        return await relay_.db_call(lambda: relay_.store.db.execute(sql).fetchall())  # type: ignore[no-any-return]

    async def pruned() -> bool:
        return not await rows("SELECT 1 FROM alerts WHERE fingerprint = 'o1'")

    await until(pruned, within=10)
    assert sorted(x[0] for x in await rows("SELECT fingerprint FROM alerts")) == ["l1", "r1"]
    assert sorted(x[0] for x in await rows("SELECT id FROM groups")) == sorted([gids["l1"], gids["r1"]])
    events = await rows("SELECT group_id, kind FROM events")
    assert {g for g, _ in events} == {gids["l1"], gids["r1"]}
    assert (gids["l1"], "fired") in events
    # Done notifications past the dedup window and a day: gone, but the open group's newest (escalations).
    assert await rows("SELECT group_id FROM notifications WHERE received_at < strftime('%s', 'now') - 86400") == \
        [(gids["l1"],)]
    # The long-running alert resolves: its row was kept, so its time to resolve is recorded.
    doc = payload(alertname="LongRunning", severity="critical", status="resolved", fingerprint="l1",
                  group="{}:{fp=l1}")
    doc["alerts"][0]["startsAt"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(T0 + 300))
    doc["alerts"][0]["endsAt"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(T0 + 300 + 86400 * 2))
    assert (await post(http, r, doc))[1]["status"] == "accepted"
    labels = {"severity": "critical", "alertname": "LongRunning"}
    await eventually(lambda: r.value("cflexagent_alert_time_to_resolve_seconds_count", labels) == 1)
    assert r.value("cflexagent_alert_time_to_resolve_seconds_sum", labels) == 2 * 86400
    assert (await relay_.db_call(relay_.store.group, gids["l1"])).resolved_at is not None
