"""``cflexagent probe URL|HOST:PORT|NAME``: run one probe now and explain the result.

Prints the phase breakdown, the TLS chain with expiry dates and the failure
reason. Exit 0 when the probe succeeds, 1 when it fails, 2 for bad arguments.
With ``-c`` (or $CFLEXAGENT_CONFIG), a probe name from the config runs that
probe exactly as the agent would.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import time
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

_SECONDS = re.compile(r"\d+(\.\d*)?")
#: Probe config keys and the command-line argument that sets each, for error messages.
_OPTIONS = {"url": "URL", "address": "HOST:PORT", "timeout": "--timeout", "method": "--method",
            "headers": "--header", "expect_status": "--expect-status", "expect_body": "--expect-body",
            "send": "--send", "expect": "--expect", "server_name": "--server-name", "tls": "--tls"}


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "probe", parents=[common], help="run one HTTP(S) or TCP probe now and print phases, TLS expiry and reason",
        description="Run one probe now. TARGET is a URL (http probe), HOST:PORT (tcp probe) or, with -c, "
                    "the name of a configured probe. Exit 0 on success, 1 on failure.")
    p.add_argument("target", metavar="URL|HOST:PORT|NAME")
    p.add_argument("--type", choices=("http", "tcp"), help="probe type (default: http for URLs, tcp for HOST:PORT)")
    p.add_argument("--expect-status", nargs="+", metavar="CODE", help='accepted status codes or classes ("200", "2xx")')
    p.add_argument("--insecure", action="store_true", help="do not verify the server's certificate")
    p.add_argument("--timeout", default="10s",
                   help='give up after this long: "500ms", "5s", "1m", or plain seconds ("5"); default 10s')
    p.add_argument("--method", default="GET", help="HTTP method (default GET)")
    p.add_argument("-H", "--header", action="append", default=[], metavar="NAME: VALUE", help="extra request header")
    p.add_argument("--expect-body", metavar="REGEX", help="the body must match this regex")
    p.add_argument("--no-follow", action="store_true", help="do not follow redirects")
    p.add_argument("--tls", action="store_true", help="tcp: do a TLS handshake after connecting")
    p.add_argument("--send", help="tcp: send this text after connecting")
    p.add_argument("--expect", metavar="REGEX", help="tcp: the reply must match this regex")
    p.add_argument("--server-name", help="TLS server name (SNI) if not the target's host")
    p.add_argument("--ip-family", choices=("auto", "ipv4", "ipv6"), default="auto")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_probe)


def _from_config(args: argparse.Namespace) -> Any:
    if "://" in args.target or ":" in args.target:
        return None
    if not (getattr(args, "config", None) or os.environ.get("CFLEXAGENT_CONFIG")):
        return None
    from ..cli import load_config

    config, path = load_config(args)
    for p in config.probes:
        if p.name == args.target:
            return p
    from ..config import ConfigError

    raise ConfigError(f'{path}: no probe named "{args.target}"')


def _build(args: argparse.Namespace) -> Any:
    from ..config import ConfigError, decode
    from .config import ProbeConfig

    kind = args.type or ("http" if "://" in args.target else "tcp")
    timeout = args.timeout.strip()
    if _SECONDS.fullmatch(timeout):  # a bare number on the command line means seconds
        timeout += "s"
    raw: dict[str, Any] = {"name": "cli", "type": kind, "timeout": timeout, "tls_verify": not args.insecure,
                           "ip_family": args.ip_family}
    # The interval only matters to the scheduler; keep it above any timeout.
    raw["interval"] = "1000d"
    if args.server_name:
        raw["server_name"] = args.server_name
    if kind == "http":
        raw.update(url=args.target, method=args.method, follow_redirects=not args.no_follow)
        if args.expect_status:
            raw["expect_status"] = [int(s) if s.isdigit() else s for s in args.expect_status]
        if args.expect_body:
            raw["expect_body"] = args.expect_body
        headers = {}
        for h in args.header:
            k, sep, v = h.partition(":")
            if not sep:
                raise ConfigError(f'--header: expected "Name: value", got "{h}"')
            headers[k.strip()] = v.strip()
        raw["headers"] = headers
    else:
        raw.update(address=args.target, tls=args.tls)
        if args.send:
            raw["send"] = args.send.encode().decode("unicode_escape")
        if args.expect:
            raw["expect"] = args.expect
    # The options are validated as a [[probes]] table; a bad one is named as its option ("--timeout").
    try:
        return decode(raw, ProbeConfig, "cflexagent probe")
    except ConfigError as e:
        raise ConfigError([_as_option(line) for line in e.errors]) from None


def _as_option(line: str) -> str:
    """A config error as the command line's: ``timeout: ...`` -> ``--timeout: ...``, ``url`` -> ``URL``."""
    m = re.match(r"cflexagent probe: ([a-z_]+)(\S*): ", line)
    if not m:
        return line
    option = _OPTIONS.get(m[1], "--" + m[1].replace("_", "-"))
    return f"cflexagent probe: {option}{m[2]}: {line[m.end():]}"


def cmd_probe(args: argparse.Namespace) -> int:
    cfg = _from_config(args) or _build(args)
    from .base import Env, Result
    from .scheduler import PROBERS, run_once

    prober = PROBERS[cfg.type]
    plan = prober.compile(cfg)

    async def main() -> Result:
        env = Env()
        try:
            r = Result()
            r.want_chain = True
            return await run_once(prober, plan, env, r)
        finally:
            await env.close()

    r = asyncio.run(main())
    if args.json:
        import orjson

        doc = {"target": plan.target, **r.as_dict(), "chain": r.chain}
        sys.stdout.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        _print(plan.target, cfg.type, r)
    return EXIT_OK if r.result == "success" else EXIT_FAILED


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:9.2f} ms"


def _when(ts: float) -> str:
    days = (ts - time.time()) / 86400
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ts))
    return f"{stamp} ({'in ' if days >= 0 else ''}{abs(days):.0f} days{' ago, EXPIRED' if days < 0 else ''})"


def _print(target: str, kind: str, r: Any) -> None:
    out = [f"{kind} probe of {target}"]
    if r.address:
        out.append(f"  address     {r.address}")
    out.append(f"  resolve    {_ms(r.resolve)}")
    out.append(f"  connect    {_ms(r.connect)}")
    if r.uses_tls:
        out.append(f"  tls        {_ms(r.tls)}")
    if kind == "http" or r.processing:
        out.append(f"  processing {_ms(r.processing)}")
    if kind == "http":
        out.append(f"  transfer   {_ms(r.transfer)}")
    out.append(f"  total      {_ms(r.duration)}")
    if r.status_code:
        out.append(f"  status      {r.status_code} (HTTP/{r.http_version:.1f}), {r.body_bytes} body bytes read, "
                   f"{r.redirects} redirects")
    if r.uses_tls and r.tls_version:
        out.append(f"  tls version {r.tls_version}")
        if r.leaf_expiry:
            out.append(f"  leaf cert   expires {_when(r.leaf_expiry)}")
        if r.chain_expiry:
            out.append(f"  chain       earliest expiry {_when(r.chain_expiry)}")
        for i, c in enumerate(r.chain):
            out.append(f"    [{i}] {c['subject']}")
            out.append(f"        issuer {c['issuer']}; expires {_when(c['not_after']) if c['not_after'] else '?'}")
    if r.result == "success":
        out.append("  result      success")
    else:
        out.append(f"  result      {r.result}: {r.reason}")
        if r.detail:
            out.append(f"  detail      {r.detail}")
    print("\n".join(out))
