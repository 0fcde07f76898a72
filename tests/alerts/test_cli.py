"""``cflexagent alerts test``: each hop's result printed, exit 0 when delivered, 1 when not."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tests.fakes.smtp import SMTPDouble
from tests.fakes.whatsapp import GatewayDouble

from .conftest import email_channel, relay_section, route, wa_channel


async def run_cli(*args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "cflexagent", *args,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_alerts_test_prints_each_hop(tmp_path: Path, smtp: SMTPDouble, gateway: object,
                                           secrets: dict[str, Path]) -> None:
    gw: GatewayDouble = await gateway("waha")  # type: ignore[operator]
    smtp.set_mode("421")
    cfg = tmp_path / "a.toml"
    cfg.write_text(f'[agent]\nstate_dir = "{tmp_path / "s"}"\n'
                   + relay_section(secrets["relay_token"], email_channel(smtp) + wa_channel(gw, secrets["wa_token"]),
                                   route('["mail", "wa"]', "critical") + route('["mail"]')))
    code, out, err = await run_cli("alerts", "test", "-c", str(cfg))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "route 0 (severity critical): mail -> wa"
    assert lines[1].startswith("  mail         transient failure after ") and "smtp_4xx: 421 4.3.2" in lines[1]
    assert lines[2] == "  -> falling back to wa"
    assert lines[3].startswith("  wa           delivered in ") and lines[3].endswith("to 628123456789")
    assert lines[-1] == "result: delivered"
    assert gw.delivered[0][1].startswith("🧪 TEST: 🔴 [FIRING] CRITICAL CflexagentRelayTest")
    await gw.refuse()
    code, out, _ = await run_cli("alerts", "test", "-c", str(cfg), "--severity", "warning")
    assert code == 1 and out.splitlines()[0] == "route 1 (severity any): mail"
    assert out.splitlines()[-1] == "result: NOT delivered"
    code, _, err = await run_cli("alerts", "test", "-c", str(tmp_path / "missing.toml"))
    assert code == 2 and "config file not found" in err
