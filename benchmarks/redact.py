"""Redaction cost per line on a CFlex-style corpus (about 30% of lines carry PII).

Measures ``Redactor.redact_record`` on parsed JSON records (the app logs),
``Redactor.redact_text`` on raw nginx access lines (browsers' user agents, a few basic-auth
users) and ``redact_batch`` on the same lines parsed, as an ``nginx_access`` source runs them
(the names pattern reads only ``remote_user`` and query values there), in CPU time, with the
implementation the agent runs (mypyc-compiled when built, see
``cflexagent/compiled.py``; ``CFLEXAGENT_PURE_PYTHON=1`` for the source). No peer runs
here (Promtail is not installable), so the same run also measures the naive
equivalent of Promtail's approach -- three regex replace stages (email, phone,
card) over every whole line -- as an in-process baseline, and prints the
anchor figure for Promtail itself (about 6,000 lines per CPU-second end to end
with three replace stages).

Free text (the ``names`` pattern): ``redact_text`` on the lines of the labelled names corpus
(``benchmarks/data/names_corpus.jsonl``: log messages in English and Indonesian), those with
names and the hard negatives without, each figure in CPU microseconds per line (target <= 10), with
the names model and without it (``names_model = false``) in the same run.

    python benchmarks/redact.py [--lines 200000] [--pii 0.3]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cflexagent.compiled import BUILDS
from cflexagent.logs.parsers.text import compile_nginx_format, parse_nginx_access
from cflexagent.logs.transforms import build_redactor
from cflexagent.logs.transforms.config import RedactConfig

NAMES_CORPUS = Path(__file__).resolve().parent / "data" / "names_corpus.jsonl"
SERVICES = ["cflex-api", "cflex-file-processor", "cflex-worker", "cflex-mover", "cflex-web"]
ACTIONS = ["preview_generated", "order_created", "order_approved", "order_rejected", "revision_requested",
           "file_uploaded", "signed_url_issued", "signed_url_accessed", "backup_completed", "job_started"]
NAMES = ["Budi Santoso", "Siti Rahayu", "John Smith", "Maria Garcia", "Ahmad Wijaya", "Dewi Lestari"]
PATHS = ["/api/orders", "/api/files/F-9983/preview", "/api/approvals", "/health", "/static/app.js"]
#: What browsers, apps and tools send (a desktop browser's user agent is ~110 characters of
#: capitalised words: the part of an access line a names scan would cost most on).
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
    "Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
    "Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 "
    "Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64)", "curl/8.5.0", "WhatsApp/2.24.6.77 A",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
]
#: nginx's combined format and the request time, as make_nginx_line writes it.
NGINX_FORMAT = ('$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" '
                '"$http_user_agent" $request_time')


def _phone(rng: random.Random) -> str:
    return rng.choice([
        f"+62 8{rng.randint(10, 99)}-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
        f"08{rng.randint(10, 99)}{rng.randint(1000000, 9999999)}",
        f"({rng.randint(201, 989)}) 555-{rng.randint(1000, 9999)}",
        f"+49 30 {rng.randint(1000000, 9999999)}",
    ])


def make_json_line(rng: random.Random, i: int, pii: bool) -> bytes:
    rec: dict[str, Any] = {
        "ts": f"2026-11-26T10:{i // 60 % 60:02d}:{i % 60:02d}.{i % 1000:03d}Z",
        "level": rng.choice(["INFO", "INFO", "INFO", "WARN", "ERROR"]),
        "service": rng.choice(SERVICES),
        "action": rng.choice(ACTIONS),
        "request_id": f"req-{rng.getrandbits(40):010x}",
        "order_id": f"ORD-{rng.randint(1000, 99999)}",
        "file_id": f"F-{rng.randint(1000, 99999)}",
        "duration_ms": rng.randint(5, 90000),
        "status": rng.choice(["success", "success", "failed"]),
    }
    if rng.random() < 0.5:
        rec["msg"] = f"processed file {rec['file_id']} in {rec['duration_ms']} ms, attempt {rng.randint(1, 3)}"
    if pii:
        kind = rng.randrange(4)
        if kind == 0:
            rec["customer_name"] = rng.choice(NAMES)
            rec["phone"] = _phone(rng)
        elif kind == 1:
            rec["msg"] = f"notification sent to {rng.choice(NAMES).split()[0].lower()}@example.co.id"
        elif kind == 2:
            rec["msg"] = f"whatsapp to {_phone(rng)} failed, retrying"
        else:
            rec["url"] = (f"https://files.cflex.example/p/{rec['file_id']}.pdf?X-Amz-Credential=AKIA{rng.getrandbits(40):x}"
                          f"&X-Amz-Signature={rng.getrandbits(128):032x}")
    return orjson.dumps(rec)


def make_nginx_line(rng: random.Random, i: int, pii: bool) -> str:
    path = rng.choice(PATHS)
    if pii:
        path += rng.choice([f"?email=user{i}%40example.com", f"?token={rng.getrandbits(96):x}",
                            f"?phone=08{rng.randint(100000000, 999999999)}"])
    elif rng.random() < 0.3:
        path += f"?page={rng.randint(1, 20)}&order_id=ORD-{rng.randint(1000, 9999)}"
    user = rng.choice(["budi.santoso", "dewi", "admin"]) if rng.random() < 0.05 else "-"  # basic-auth staff
    referer = rng.choice(["-", "-", "https://cflex.example/orders?status=open", "https://www.google.com/"])
    return (f'10.0.{rng.randint(0, 255)}.{rng.randint(1, 254)} - {user} [26/Nov/2026:10:15:{i % 60:02d} +0700] '
            f'"GET {path} HTTP/1.1" {rng.choice([200, 200, 304, 404, 500])} {rng.randint(100, 90000)} '
            f'"{referer}" "{rng.choice(USER_AGENTS)}" {rng.random() * 3:.3f}')


def make_corpus(n: int, pii_ratio: float, seed: int = 7) -> tuple[list[bytes], list[str]]:
    rng = random.Random(seed)
    js = [make_json_line(rng, i, rng.random() < pii_ratio) for i in range(n)]
    ng = [make_nginx_line(rng, i, rng.random() < pii_ratio) for i in range(n // 4)]
    return js, ng


NAIVE = [
    re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"),
    re.compile(r"(?:\+|\b0)[0-9][0-9 \-().]{7,18}[0-9]"),
    re.compile(r"\b[0-9](?:[ \-]?[0-9]){12,18}\b"),
]


def naive(line: str) -> str:
    for rx in NAIVE:
        line = rx.sub("<redacted>", line)
    return line


def cpu_per_line(fn: Any, items: list[Any], rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        t0 = time.process_time()
        for it in items:
            fn(it)
        best = min(best, (time.process_time() - t0) / len(items))
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--pii", type=float, default=0.3)
    args = ap.parse_args()
    js, ng = make_corpus(args.lines, args.pii)
    records = [orjson.loads(b) for b in js]
    texts = [b.decode() for b in js]
    # Built as the agent builds it (build_redactor: the compiled name finder too; a bare
    # Redactor(cfg) would get the pure-Python one).
    red = build_redactor("app", RedactConfig(), None, b"")
    changed = sum(1 for r in records if red.redact_record(r) is not r)
    print(f"compiled code: {BUILDS['redact']}")
    print(f"corpus: {len(records)} JSON records ({changed / len(records):.0%} changed by redaction), "
          f"{len(ng)} nginx lines")

    rec_cost = cpu_per_line(red.redact_record, records)
    txt_cost = cpu_per_line(red.redact_text, ng)
    # nginx access lines as the agent runs them: parsed fields, the redactor an nginx_access source
    # gets (names only in remote_user and query values), batches of 500.
    rx = compile_nginx_format(NGINX_FORMAT)
    parsed = [parse_nginx_access(rx, line) for line in ng]
    ng_records: list[dict[str, Any] | None] = [p[1] if p is not None else None for p in parsed]
    ng_raw = [line.encode() for line in ng]
    web = build_redactor("web", RedactConfig(), None, b"", "nginx_access")
    batches = [(ng_raw[k:k + 500], ng_records[k:k + 500]) for k in range(0, len(ng_raw), 500)]
    batch_cost = cpu_per_line(lambda b: web.redact_batch(b[0], b[1], False, orjson.dumps), batches) / 500
    raw_cost = cpu_per_line(red.redact_text, texts)
    base_cost = cpu_per_line(naive, texts)
    print(f"redact_record (JSON records, fields + patterns): {rec_cost * 1e6:6.2f} us/line  "
          f"{1 / rec_cost:>10,.0f} lines/CPU-s")
    print(f"redact_text   (nginx access lines):              {txt_cost * 1e6:6.2f} us/line  "
          f"{1 / txt_cost:>10,.0f} lines/CPU-s  (the whole line, every pattern)")
    print(f"redact_batch  (nginx access lines, parsed):      {batch_cost * 1e6:6.2f} us/line  "
          f"{1 / batch_cost:>10,.0f} lines/CPU-s  (as an nginx_access source runs them)")
    print(f"redact_text   (JSON lines as raw text):          {raw_cost * 1e6:6.2f} us/line  "
          f"{1 / raw_cost:>10,.0f} lines/CPU-s")
    rows = [json.loads(line) for line in NAMES_CORPUS.read_text(encoding="utf-8").splitlines() if line]
    rules = build_redactor("app", RedactConfig(names_model=False), None, b"")
    for label, free in (("with names   ", [r["text"] for r in rows if r["names"]]),
                        ("without names", [r["text"] for r in rows if not r["names"]])):
        cost = cpu_per_line(red.redact_text, free * (20_000 // len(free) + 1))
        alone = cpu_per_line(rules.redact_text, free * (20_000 // len(free) + 1))
        print(f"redact_text   (free text {label}):        {cost * 1e6:6.2f} us/line  {1 / cost:>10,.0f} lines/CPU-s"
              f"  ({len(free)} lines of the names corpus; {alone * 1e6:.2f} us with names_model = false)")
    print(f"baseline: 3 regex replace stages per line:      {base_cost * 1e6:6.2f} us/line  "
          f"{1 / base_cost:>10,.0f} lines/CPU-s  (redact_record is {base_cost / rec_cost:.1f}x faster)")
    print("anchor: Promtail with json+labels+timestamp and 3 regex replace stages ~ 6,000 lines/CPU-s end to end")
    for rule, n in sorted(red.counts.items()):
        print(f"  redactions {rule:7s} {n}")  # (free-text lines included)


if __name__ == "__main__":
    main()
