"""Hostile and broken config files: every one is exit 2 with one line per problem naming the key.

Never a traceback, a hang, an unbounded read or a silent acceptance (issue #11, item 10).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cflexagent.agent import Agent
from cflexagent.config import ConfigError, load, parse

CASES = [
    ('[logs.loki]\nspool_max_bytes = "' + "9" * 400 + '"\n', "x.toml: logs.loki.spool_max_bytes: expected a size"),
    ("[logs.loki]\nspool_max_bytes = " + "9" * 400 + "\n",
     "x.toml: logs.loki.spool_max_bytes: expected a size between"),
    ('[agent]\nshutdown_grace = "' + "9" * 60 + 's"\n', "x.toml: agent.shutdown_grace: duration too long"),
    ("[probe_defaults]\nmax_concurrency = " + "9" * 400 + "\n",
     "x.toml: probe_defaults.max_concurrency: integer out of range"),
    ("[agent]\ninstance = " + "[" * 5000 + "]" * 5000 + "\n",
     "x.toml: invalid TOML: arrays or tables nested too deeply"),
    ("[agent]\ninstance = " + "{a=" * 5000 + "1" + "}" * 5000 + "\n",
     "x.toml: invalid TOML: arrays or tables nested too deeply"),
    ('[[probes]]\nname = "a"\ntype = "http"\nurl = "http://x/"\nexpect_body = "' + "(" * 3000 + ")" * 3000 + '"\n',
     "x.toml: probes[0].expect_body: regular expression too complex to compile"),
    ('[agent]\nstate_dir = "/tmp/a\\u0000b"\n', "x.toml: agent.state_dir: must not contain a NUL byte"),
    ('[server.tls]\ncert_file = "/tmp/c\\u0000.pem"\nkey_file = "/tmp/k.pem"\n',
     "x.toml: server.tls.cert_file: must not contain a NUL byte"),
    ('[logs.redact]\nfield_actions = { "a\\u0000" = "drop" }\n', "x.toml: logs.redact.field_actions: key must not"),
]


@pytest.mark.parametrize(("text", "start"), CASES)
def test_hostile_values_are_one_line_naming_the_key(text: str, start: str) -> None:
    with pytest.raises(ConfigError) as exc:
        parse(text, "x.toml")
    assert len(exc.value.errors) == 1, exc.value.errors
    assert str(exc.value).startswith(start), str(exc.value)
    assert "\n" not in str(exc.value) and "Traceback" not in str(exc.value)


def test_every_error_of_a_file_is_reported_not_only_the_first() -> None:
    text = ('[agent]\nlog_level = "loud"\nshutdown_grace = 5\n'
            '[server]\nlistn = "127.0.0.1:1"\n'
            '[[probes]]\nname = "a"\ntype = "tcp"\naddress = "x:1"\nurl = "http://x/"\n'
            '[[probes]]\nname = "b"\ntype = "http"\n'
            '[logs.loki]\nspool_max_bytes = "lots"\n')
    with pytest.raises(ConfigError) as exc:
        parse(text, "x.toml")
    assert exc.value.errors == [
        'x.toml: agent.log_level: expected one of "debug", "error", "info", "warning", got "loud"',
        'x.toml: agent.shutdown_grace: expected a duration like "30s", got an integer (5)',
        'x.toml: server.listn: unknown key; did you mean "listen"?',
        'x.toml: probes[0].url: only for type = "http" (this is type = "tcp")',
        "x.toml: probes[1].url: required key is missing",
        'x.toml: logs.loki.spool_max_bytes: expected a size like "64MiB" or "1GB", got "lots"',
    ]


def _cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cflexagent", *args], capture_output=True, text=True,
                          timeout=timeout)


def test_check_and_run_report_all_errors_each_on_one_line(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[agent]\nstate_dir = "/tmp/x\\u0000y"\n[server]\nlisten = "nope"\n')
    for command in ("check", "run"):
        r = _cli(command, "-c", str(cfg))
        assert r.returncode == 2, (command, r.stderr)
        assert r.stderr.splitlines() == [
            f"{cfg}: agent.state_dir: must not contain a NUL byte",
            f'{cfg}: server.listen: expected host:port, got "nope"',
        ], (command, r.stderr)


def test_non_regular_and_huge_config_files_are_refused_without_reading_them(tmp_path: Path) -> None:
    r = _cli("check", "-c", "/dev/zero", timeout=20)
    assert (r.returncode, r.stderr) == (2, "/dev/zero: not a regular file, expected a TOML file\n")
    fifo = tmp_path / "cfg.fifo"
    os.mkfifo(fifo)
    r = _cli("check", "-c", str(fifo), timeout=20)  # a FIFO nobody writes to must not hang
    assert (r.returncode, r.stderr) == (2, f"{fifo}: not a regular file, expected a TOML file\n")
    big = tmp_path / "big.toml"
    with open(big, "wb") as f:
        f.truncate(64 * 1024 * 1024)
    with pytest.raises(ConfigError, match=r"a config file is at most 4194304 bytes"):
        load(big)


def test_empty_config_says_it_runs_nothing(tmp_path: Path) -> None:
    cfg = tmp_path / "empty.toml"
    cfg.write_text(f'[agent]\nstate_dir = "{tmp_path / "state"}"\n')
    r = _cli("check", "-c", str(cfg))
    assert r.returncode == 0, r.stderr
    assert f"{cfg}: warning: nothing to run:" in r.stderr


async def test_sighup_rejects_a_config_that_turned_bad(tmp_path: Path) -> None:
    cfg = tmp_path / "agent.toml"
    good = f'[agent]\nstate_dir = "{tmp_path / "state"}"\n[server]\nlisten = "127.0.0.1:0"\n'
    cfg.write_text(good)
    agent = Agent(load(cfg), str(cfg), lambda: load(cfg))
    task = asyncio.create_task(agent.run())
    await asyncio.wait_for(agent.started.wait(), 20)
    try:
        cfg.write_text(good.replace('state"', 'st\\u0000ate"'))
        assert await agent.reload() is False
        assert agent.registry.get_sample_value("cflexagent_config_last_reload_successful") == 0
        assert agent.config.agent.state_dir == str(tmp_path / "state")
    finally:
        agent.stop_event.set()
        await asyncio.wait_for(task, 30)
