"""``cflexagent alerts test``: send a test notification through the configured route now.

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
    p = sub.add_parser("alerts", parents=[common], help="alert relay: send a test notification")
    asub = p.add_subparsers(dest="alerts_command", metavar="SUBCOMMAND", required=True)
    t = asub.add_parser("test", parents=[common], help="send a test notification through the route now")
    t.add_argument("--severity", default="critical", help="severity of the test alert (default critical)")
    t.add_argument("--alertname", default="CflexagentRelayTest", help="alertname of the test alert")
    t.set_defaults(func=cmd_test)


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
