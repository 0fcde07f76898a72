"""The storage CLI (trust, scan --json, report) against the real sshd, and the documented example config."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
import orjson
import pytest

from cflexagent import cli
from cflexagent.config import ConfigError, parse
from cflexagent.storage.config import AreaConfig, QuotaConfig, SFTPConfig, SnapshotsConfig
from cflexagent.storage.localsshd import LocalSSHD

from .conftest import local_totals

EXAMPLE = Path(__file__).resolve().parents[2] / "configs" / "cflexagent.example.toml"


def storage_block() -> str:
    text = EXAMPLE.read_text()
    start = text.index("# [storage.sftp]")
    end = text.index("# (end of the storage sections)")
    return "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in
                     text[start:end].splitlines())


def test_example_storage_sections_parse_and_document_every_key() -> None:
    block = storage_block()
    cfg = parse(block, "example")
    assert cfg.storage.sftp is not None and [a.name for a in cfg.storage.sftp.areas] == ["previews", "cold"]
    assert cfg.storage.cpanel_quota is not None
    for struct in (SFTPConfig, AreaConfig, QuotaConfig, SnapshotsConfig):
        for f in msgspec.structs.fields(struct):
            if f.name != "areas":
                assert re.search(rf"^{f.name} = ", block, re.M), f"{struct.__name__}.{f.name} undocumented"
    # The defaults written in the example are the real defaults.
    defaults = parse('[storage.sftp]\nhost = "cpanel.example.com"\nusername = "cflex"\n'
                     'key_file = "/etc/cflexagent/cpanel_ed25519"\nknown_hosts = "/etc/cflexagent/known_hosts"\n'
                     '[[storage.sftp.areas]]\nname = "previews"\npath = "public_html/previews"\ngroup_depth = 1\n'
                     '[[storage.sftp.areas]]\nname = "cold"\npath = "cold"\n'
                     '[storage.cpanel_quota]\nurl = "https://cpanel.example.com:2083"\nusername = "cflex"\n'
                     'token_file = "/etc/cflexagent/cpanel_token"\n', "defaults")
    assert defaults.storage == cfg.storage


@pytest.mark.parametrize(("snippet", "message"), [
    ('daily_at = "7:30"', 'storage.sftp.daily_at: expected "HH:MM"'),
    ('auth_backoff = "10s"', "storage.sftp.auth_backoff: must be at least 1m"),
    ('size_buckets = ["1MiB", "4KiB"]', "storage.sftp.size_buckets: must be distinct sizes in increasing order"),
    ('max_concurency = 4', 'storage.sftp.max_concurency: unknown key; did you mean "max_concurrency"?'),
])
def test_bad_storage_config_is_one_clear_line(snippet: str, message: str) -> None:
    text = (f'[storage.sftp]\nhost = "h"\nusername = "u"\nkey_file = "k"\nknown_hosts = "kh"\n{snippet}\n'
            '[[storage.sftp.areas]]\nname = "a"\npath = "p"\n')
    with pytest.raises(ConfigError) as ei:
        parse(text, "x.toml")
    assert str(ei.value).startswith(f"x.toml: {message}")


def test_cli_trust_scan_report(sshd: LocalSSHD, tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) \
        -> None:
    known = tmp_path / "pinned_known_hosts"
    conf = tmp_path / "c.toml"
    conf.write_text(f"""
[agent]
state_dir = "{tmp_path / 'state'}"
[storage.sftp]
host = "127.0.0.1"
port = {sshd.port}
username = "{sshd.username}"
key_file = "{sshd.client_key}"
known_hosts = "{known}"
[[storage.sftp.areas]]
name = "tree"
path = "{tree}"
group_depth = 1
""")
    assert cli.main(["storage", "scan", "-c", str(conf)]) == 1
    assert "storage trust" in capsys.readouterr().err
    assert cli.main(["storage", "trust", "--yes", "-c", str(conf)]) == 0
    out = capsys.readouterr().out
    fp = __import__("asyncssh").read_public_key(str(sshd.host_key.with_suffix(".pub"))).get_fingerprint()
    assert fp in out and known.read_text().startswith(f"[127.0.0.1]:{sshd.port} ssh-ed25519 ")
    assert cli.main(["storage", "scan", "--json", "-c", str(conf)]) == 0
    doc = orjson.loads(capsys.readouterr().out)
    want = local_totals(tree, 1, exclude=(str(tree).encode() + b"/gamma/private",))
    assert doc["areas"]["tree"]["files"] == want["files"] and doc["areas"]["tree"]["bytes"] == want["bytes"]
    assert doc["areas"]["tree"]["skipped"]["symlink"] == 2
    assert cli.main(["storage", "report", "--format", "csv", "-c", str(conf)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("day,area,group") and f",tree,,{want['files']},{want['bytes']}," in lines[1]
    assert cli.main(["storage", "report", "-c", str(conf)]) == 0
    assert "(total)" in capsys.readouterr().out
    assert cli.main(["storage", "report", "--area", "nosuch", "-c", str(conf)]) == 2
    assert capsys.readouterr().err == ('cflexagent: --area: no area named "nosuch" in [[storage.sftp.areas]] '
                                       '(areas: tree)\n')


def test_quota_url_with_credentials_is_refused_without_echoing_them() -> None:
    text = ('[storage.cpanel_quota]\nurl = "https://cflex:hunter2@cpanel.example.com:2083"\nusername = "cflex"\n'
            'token_file = "/etc/cflexagent/cpanel_token"\n')
    with pytest.raises(ConfigError) as ei:
        parse(text, "x.toml")
    assert str(ei.value) == "x.toml: storage.cpanel_quota.url: must not contain user:password@ (the API token goes " \
                            "in token_file)"
