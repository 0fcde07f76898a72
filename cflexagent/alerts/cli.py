"""``cflexagent alerts test|ack|report``: a test notification now, acknowledge from a shell, the
success-metrics report.

``ack ID`` acknowledges the alert group ``ID`` (as shown by ``/api/alerts`` and
``report``) in the history database directly, so it works whether the agent
runs or not (the agent reads the state at its next escalation tick), and
creates the Alertmanager silence when ``[alerts.ack] silence = true``.

``report`` prints per alert name and severity: count, MTTR p50/p95, time to
acknowledge p50/p95 (nearest-rank percentiles) and the noise ratio, each
marked against the design's targets (``ok`` / ``OVER``).

The test goes straight through the channels (not the running agent's outbox):
each channel of the route's chain is tried once, in order, until one delivers;
``also`` channels always get it. Each hop's result is printed. Exit 0 when the
chain delivered (and every ``also`` channel did), 1 otherwise, 2 for a config
without a relay or without a route for that severity.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("alerts", parents=[common],
                       help="alert relay: test a route, acknowledge a group, report MTTR, acknowledgment and noise")
    asub = p.add_subparsers(dest="alerts_command", metavar="SUBCOMMAND", required=True)
    t = asub.add_parser("test", parents=[common], help="send a test notification through the route now")
    t.add_argument("--severity", default="critical", help="severity of the test alert (default critical)")
    t.add_argument("--alertname", default="CflexagentRelayTest", help="alertname of the test alert")
    t.set_defaults(func=cmd_test)
    a = asub.add_parser("ack", parents=[common], help="acknowledge an alert group (stops escalation)")
    a.add_argument("id", type=int, help="the group's id (from /api/alerts or the report)")
    a.add_argument("--by", default="", help="who acknowledges (default: the shell user)")
    a.set_defaults(func=cmd_ack)
    r = asub.add_parser("report", parents=[common], help="MTTR, time to acknowledge and noise per alert")
    r.add_argument("--days", type=int, default=30, help="how many days back (default 30)")
    r.add_argument("--format", choices=("table", "csv", "json"), default="table")
    r.set_defaults(func=cmd_report)


def test_payload(severity: str, alertname: str, instance: str) -> Any:
    from .webhook import Alert, Payload

    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    labels = {"alertname": alertname, "severity": severity, "instance": instance}
    ann = {"summary": "Test notification from `cflexagent alerts test`: the relay reaches you."}
    return Payload(version="4", groupKey=f'{{}}:{{alertname="{alertname}"}}', status="firing",
                   receiver="cflexagent-test", groupLabels={"alertname": alertname}, commonLabels=labels,
                   commonAnnotations=ann, alerts=[Alert(status="firing", labels=labels, annotations=ann,
                                                        startsAt=now, fingerprint="0000000000000000")])


def cmd_test(args: argparse.Namespace) -> int:
    from ..cli import EXIT_CONFIG, EXIT_OK, EXIT_RUNTIME, fail, load_config
    from .channels import Delivered, Transient, build_channel
    from .message import Message, Notification
    from .webhook import route_for

    config, path = load_config(args)
    relay = config.alerts.relay
    if relay is None or not relay.enabled:
        return fail(f"{path}: alerts.relay: not configured (see [alerts.relay] in the example config)",
                    EXIT_CONFIG, names_file=True)
    payload = test_payload(args.severity, args.alertname, config.agent.instance_name)
    found = route_for(relay, payload)
    if found is None:
        return fail(f"{path}: alerts.relay.routes: no route matches severity {args.severity!r}", EXIT_CONFIG,
                    names_file=True)
    idx, route = found
    msg = Message([Notification(0, payload, args.severity, time.time())], public_url=relay.public_url, test=True)

    async def hop(name: str) -> bool:
        ch = build_channel(relay.channel(name))
        started = time.monotonic()
        try:
            res = await ch.send(msg, frozenset())
        finally:
            await ch.close()
        took = time.monotonic() - started
        if isinstance(res, Delivered):
            reached = ", ".join(res.done) or "all recipients"
            print(f"  {name:<12} delivered in {took:.2f}s to {reached}" + (f" ({res.detail})" if res.detail else ""))
            return True
        kind = "transient" if isinstance(res, Transient) else "permanent"
        print(f"  {name:<12} {kind} failure after {took:.2f}s: {res.reason}: {res.detail}")
        return False

    async def main() -> int:
        print(f"route {idx} (severity {route.severity or 'any'}): {' -> '.join(route.channels)}"
              + (f", also {', '.join(route.also)}" if route.also else ""))
        delivered = False
        for i, name in enumerate(route.channels):
            if await hop(name):
                delivered = True
                break
            if i + 1 < len(route.channels):
                print(f"  -> falling back to {route.channels[i + 1]}")
        also_ok = True
        for name in route.also:
            if name not in route.channels:
                also_ok = await hop(name) and also_ok
        print("result: " + ("delivered" if delivered and also_ok else "NOT delivered"))
        return EXIT_OK if delivered and also_ok else EXIT_RUNTIME

    return asyncio.run(main())


def _store(args: argparse.Namespace) -> tuple[Any, Any]:
    from pathlib import Path

    from ..cli import load_config
    from .history import open_store
    from .outbox import outbox_path

    config, _ = load_config(args)
    state = Path(config.agent.state_dir)
    if not outbox_path(state).exists():
        return config, None
    return config, open_store(state, config.alerts.history)


def cmd_ack(args: argparse.Namespace) -> int:
    import getpass

    from ..cli import EXIT_OK, EXIT_RUNTIME, fail

    config, store = _store(args)
    if store is None:
        return fail("alerts ack: no alert history yet (the relay has not received any alert)", EXIT_RUNTIME)
    who = args.by or f"shell:{getpass.getuser()}"
    try:
        outcome = store.acknowledge(args.id, who)
    finally:
        store.close()
    g = outcome.group
    if outcome.result == "unknown" or g is None:
        return fail(f"alerts ack: no alert group {args.id}", EXIT_RUNTIME)
    if outcome.result == "already":
        print(f"group {g.id} ({g.alertname}) was already acknowledged by {g.acked_by}")
        return EXIT_OK
    if outcome.result == "resolved":
        print(f"group {g.id} ({g.alertname}) is resolved; nothing to acknowledge")
        return EXIT_OK
    print(f"group {g.id} ({g.alertname}, {g.severity}) acknowledged by {who}; escalation stopped")
    if config.alerts.ack.silence:
        from .ack import AlertmanagerAPI

        _, store = _store(args)
        try:
            sid = asyncio.run(AlertmanagerAPI(config.alerts.ack).create_silence(g.labels, who, time.time()))
        except Exception as e:
            store.set_silence(g.id, None, "error")
            store.close()
            return fail(f"alerts ack: acknowledged, but the Alertmanager silence failed: {e}", EXIT_RUNTIME)
        store.set_silence(g.id, sid, "active")
        store.close()
        print(f"Alertmanager silence {sid} created")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from ..cli import EXIT_CONFIG, EXIT_OK, fail
    from .history import report

    if not 1 <= args.days <= 10000:
        return fail("--days: expected 1..10000", EXIT_CONFIG)
    config, store = _store(args)
    rows = []
    if store is not None:
        try:
            rows = report(store, args.days, time.time())
        finally:
            store.close()
    print(render_report(rows, args.format, config.alerts.history), end="")
    return EXIT_OK


def _dur(s: float | None) -> str:
    if s is None:
        return "-"
    if s >= 3600:
        return f"{s / 3600:.1f}h"
    if s >= 60:
        return f"{s / 60:.1f}m"
    return f"{s:.0f}s"


def render_report(rows: list[Any], fmt: str, history: Any) -> str:
    """Table, CSV or JSON; every figure is marked against its target (ok / OVER)."""
    import csv
    import io

    import orjson

    targets = {"mttr": float(history.target_mttr), "tta": float(history.target_ack),
               "noise": float(history.target_noise)}

    def mark(value: float | None, target: float) -> str:
        return "" if value is None else ("ok" if value < target else "OVER")

    def doc(r: Any) -> dict[str, Any]:
        return {"alertname": r.alertname, "severity": r.severity, "count": r.count, "resolved": r.resolved,
                "acknowledged": r.acked, "noise": r.noise,
                "mttr_p50_seconds": r.mttr_p50, "mttr_p95_seconds": r.mttr_p95,
                "tta_p50_seconds": r.tta_p50, "tta_p95_seconds": r.tta_p95, "noise_ratio": round(r.noise_ratio, 4),
                "mttr_p50": mark(r.mttr_p50, targets["mttr"]), "mttr_p95": mark(r.mttr_p95, targets["mttr"]),
                "tta_p50": mark(r.tta_p50, targets["tta"]), "tta_p95": mark(r.tta_p95, targets["tta"]),
                "noise_mark": mark(r.noise_ratio if r.count else None, targets["noise"])}

    if fmt == "json":
        return orjson.dumps({"targets": {"mttr_seconds": targets["mttr"], "tta_seconds": targets["tta"],
                                         "noise_ratio": targets["noise"]},
                             "rows": [doc(r) for r in rows]}).decode() + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        cols = list(doc(rows[0]).keys()) if rows else ["alertname"]
        w.writerow(cols)
        for r in rows:
            w.writerow(["" if v is None else v for v in doc(r).values()])
        return buf.getvalue()
    head = (f"targets: MTTR < {_dur(targets['mttr'])}, acknowledgment < {_dur(targets['tta'])}, "
            f"noise < {targets['noise'] * 100:g}%")
    lines = [head, f"{'alertname':<28} {'severity':<9} {'count':>5}  {'MTTR p50':>13} {'MTTR p95':>13}  "
             f"{'ack p50':>13} {'ack p95':>13}  {'noise':>11}"]

    def cell(v: float | None, target: float) -> str:
        return f"{_dur(v)} {mark(v, target)}".strip()

    for r in rows:
        name = "(all)" if r.alertname == "*" else r.alertname
        sev = "" if r.severity == "*" else r.severity
        noise = f"{r.noise_ratio * 100:.1f}% {mark(r.noise_ratio if r.count else None, targets['noise'])}"
        lines.append(f"{name[:28]:<28} {sev[:9]:<9} {r.count:>5}  {cell(r.mttr_p50, targets['mttr']):>13} "
                     f"{cell(r.mttr_p95, targets['mttr']):>13}  {cell(r.tta_p50, targets['tta']):>13} "
                     f"{cell(r.tta_p95, targets['tta']):>13}  {noise.strip():>11}")
    if len(rows) <= 1 and (not rows or rows[0].count == 0):
        lines.append("(no alerts in this period)")
    return "\n".join(lines) + "\n"
