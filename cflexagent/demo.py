"""Demo-only components for ``cflexagent run --demo`` (never part of a real config)."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from pathlib import Path

from .component import Component, Context, Stage
from .config import Config


def demo_config_additions(state_dir: Path) -> str:
    """TOML appended to the demo config once demo-only servers are up (e.g. the storage sshd)."""
    from .storage.demo import storage_demo_toml

    return storage_demo_toml(state_dir)


def demo_components(config: Config, ctx: Context) -> list[Component]:
    from .storage.demo import storage_demo_components

    return [*storage_demo_components(ctx), DemoLogWriter(Path(config.agent.state_dir) / "demo-logs" / "cflex-app.log")]


class DemoLogWriter:
    """Writes CFlex-style JSON log lines (the design document's schema) for the demo's logs source.

    Some lines carry customer names, phones and emails, as real apps' logs do:
    with ``[logs.redact]`` on they reach the console sink masked.
    """

    stage: Stage = "source"

    def __init__(self, path: Path, interval: float = 0.5) -> None:
        self.name = "demo.log-writer"
        self.path = path
        self.interval = interval

    async def run(self, stop: asyncio.Event) -> None:
        import orjson

        self.path.parent.mkdir(parents=True, exist_ok=True)
        rnd = random.Random()
        services = ["cflex-api", "cflex-file-processor", "cflex-worker"]
        actions = [("preview_generated", "success"), ("order_created", "success"), ("order_approved", "success"),
                   ("revision_requested", "success"), ("signed_url_issued", "success"),
                   ("preview_generated", "failed"), ("backup_completed", "success"),
                   ("order_processed", "success"), ("order_rejected", "success")]
        customers = [("Siti Rahma", "+62 812-3456-7890", "siti.rahma@example.co.id"),
                     ("John Carter", "(415) 555-0100", "john.carter@example.com")]
        n = 0
        with open(self.path, "ab", buffering=0) as f:  # noqa: ASYNC230 - small appends to a local file
            while not stop.is_set():
                n += 1
                action, status = rnd.choice(actions)
                t = time.time()
                rec: dict[str, object] = {
                    "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z",
                    "level": "ERROR" if status == "failed" else "INFO", "service": rnd.choice(services),
                    "action": action, "request_id": f"req-{rnd.getrandbits(32):08x}",
                    "order_id": f"ORD-{1000 + n % 50}", "file_id": f"F-{rnd.randrange(10000)}",
                    "duration_ms": rnd.randrange(200, 70000) if action == "preview_generated"
                    else rnd.randrange(5, 900),
                    "status": status}
                if action == "preview_generated":
                    rec["file_size_bytes"] = rnd.randrange(10_000, 120_000_000)
                if n % 3 == 0:
                    name, phone, email = rnd.choice(customers)
                    rec.update(customer_name=name, phone=phone, email=email)
                elif n % 5 == 0:  # PII and secrets inside free text: found by the patterns
                    _, phone, email = rnd.choice(customers)
                    rec["msg"] = rnd.choice([f"whatsapp notification to {phone} failed, retrying",
                                             f"invoice mailed to {email}",
                                             f"download https://files.example/p/{rec['file_id']}.pdf"
                                             f"?X-Amz-Signature={rnd.getrandbits(64):016x}"])
                f.write(orjson.dumps(rec) + b"\n")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.interval)
