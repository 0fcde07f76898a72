"""The cPanel UAPI quota: the answer's shapes, the client and the ``storage.quota`` poller against a local
HTTPS double (``cpanel`` in conftest.py, trusted through a trustme CA)."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from cflexagent.component import Context
from cflexagent.storage.config import QuotaConfig
from cflexagent.storage.quota import QuotaError, QuotaPoller, fetch_quota, parse_quota

from .conftest import DOCUMENTED, CPanelDouble


def test_parse_quota_shapes() -> None:
    q = parse_quota(DOCUMENTED)
    assert q == {"used_bytes": round(5.46 * 1048576), "limit_bytes": 1024 * 1048576,
                 "used_inodes": 1035.0, "limit_inodes": 250000.0}
    # The `uapi` command-line shape wraps the same object in "result", with numbers.
    wrapped = {"apiversion": 3, "func": "get_quota_info", "module": "Quota", "result": {
        "data": {"inode_limit": 0, "inodes_remain": 0, "inodes_used": 1035, "megabyte_limit": 0,
                 "megabytes_remain": 0, "megabytes_used": 5.46}, "errors": None, "status": 1}}
    assert parse_quota(wrapped)["limit_bytes"] == 0
    with pytest.raises(QuotaError) as ei:
        parse_quota({"status": 0, "errors": ["The API token is not valid."], "data": None})
    assert ei.value.reason == "api" and "token is not valid" in str(ei.value)
    with pytest.raises(QuotaError):
        parse_quota({"status": 1, "data": {"megabytes_used": "lots"}})


async def test_quota_over_https(tmp_path: Path, cpanel: CPanelDouble) -> None:
    cfg = cpanel.config()
    q = await fetch_quota(cfg)
    assert cpanel.seen == ["cpanel cflex:ABCDEF123"]
    assert q["used_inodes"] == 1035 and q["limit_bytes"] == 1024 * 1048576
    registry = CollectorRegistry(auto_describe=True)
    poller = QuotaPoller(cfg, Context(registry=registry, state_dir=tmp_path))
    assert await poller.poll_once()
    assert registry.get_sample_value("cflexagent_storage_quota_used_bytes") == round(5.46 * 1048576)
    assert registry.get_sample_value("cflexagent_storage_quota_limit_inodes") == 250000
    assert registry.get_sample_value("cflexagent_storage_quota_last_success_timestamp_seconds") > 0
    cpanel.status = 403
    assert not await poller.poll_once()
    assert registry.get_sample_value("cflexagent_storage_quota_errors_total", {"reason": "auth"}) == 1
    assert "cflexagent_storage_quota_used_bytes" in generate_latest(registry).decode()
    # Without the CA the self-signed double is not trusted.
    with pytest.raises(QuotaError) as ei:
        await fetch_quota(QuotaConfig(url=cfg.url, username="cflex", token_file=str(cpanel.token_file)))
    assert ei.value.reason in ("connect", "http")


async def test_a_bad_ca_file_is_a_config_error_not_a_crash(tmp_path: Path, cpanel: CPanelDouble) -> None:
    from cflexagent.config import parse
    from cflexagent.storage import check

    not_pem = tmp_path / "not-a-ca.pem"
    not_pem.write_text("this is no certificate\n")
    registry = CollectorRegistry(auto_describe=True)
    ctx = Context(registry=registry, state_dir=tmp_path)
    for ca_file, words in ((not_pem, "no usable PEM certificate"), (tmp_path, "cannot read ca_file")):
        cfg = cpanel.config(ca_file=str(ca_file))
        with pytest.raises(QuotaError) as ei:
            await fetch_quota(cfg)
        assert ei.value.reason == "config" and words in str(ei.value)
        # The poller counts and logs it, and keeps running (it used to crash-loop with a traceback).
        poller = QuotaPoller(cfg, ctx)
        assert not await poller.poll_once()
    assert registry.get_sample_value("cflexagent_storage_quota_errors_total", {"reason": "config"}) == 2
    assert cpanel.seen == []
    # `cflexagent check` reports a readable file that is no CA bundle.
    config = parse(f'[storage.cpanel_quota]\nurl = "{cpanel.url}"\nusername = "cflex"\n'
                   f'token_file = "{cpanel.token_file}"\nca_file = "{not_pem}"\n', "x.toml")
    problems = check(config)
    errors = [p.message for p in problems if p.severity == "error"]
    assert errors == [f"storage.cpanel_quota.ca_file: ca_file {not_pem} holds no usable PEM certificate "
                      "(NO_CERTIFICATE_OR_CRL_FOUND)"]
