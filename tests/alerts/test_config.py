"""The [alerts] config: the documented example loads, every key is documented, bad values are one line."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest

from cflexagent.alerts.config import (
    EmailChannel,
    RateLimit,
    RelayConfig,
    RouteConfig,
    WhatsAppChannel,
    normalize_phone,
)
from cflexagent.config import ConfigError, parse

EXAMPLE = Path(__file__).resolve().parents[2] / "configs" / "cflexagent.example.toml"


def alerts_block(start: str = "# (start of the alerts sections)", end: str = "# (end of the alerts sections)") -> str:
    text = EXAMPLE.read_text()
    block = text[text.index(start) + len(start):text.index(end)]
    return "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in block.splitlines())


def test_example_alerts_sections_load_and_document_every_key() -> None:
    block = alerts_block()
    cfg = parse(block, "example")
    relay = cfg.alerts.relay
    assert relay is not None and [c.name for c in relay.channels] == ["mail", "wa"]
    assert relay.channels[1].numbers == ["628123456789"]
    for struct in (RelayConfig, EmailChannel, WhatsAppChannel, RouteConfig):
        for f in msgspec.structs.fields(struct):
            if f.encode_name in ("channels", "routes") and struct is RelayConfig:
                continue
            assert re.search(rf"^(# )?{f.encode_name} = ", block, re.M), f"{struct.__name__}.{f.encode_name}"
    # The values written in the example are the defaults where the comment says so.
    d = RelayConfig(channels=[], routes=[], enabled=False)
    for key in ("path", "send_resolved", "max_body", "outbox_max", "outbox_min_free_disk", "dedup_window",
                "min_backoff", "max_backoff", "give_up_after"):
        assert getattr(relay, key) == getattr(d, key), key


RELAY = ('[alerts.relay]\n[[alerts.relay.channels]]\nname = "wa"\nkind = "whatsapp"\ntoken_file = "/t"\n{extra}\n'
         '[[alerts.relay.routes]]\nchannels = ["wa"]\n{route}\n')
BASE = {"url": 'url = "http://127.0.0.1:3000"', "recipients": 'recipients = ["08123456789"]'}


def relay_text(extra: str, route: str) -> str:
    lines = [v for k, v in BASE.items() if not extra.startswith(f"{k} =")]
    return RELAY.format(extra="\n".join([*lines, extra]), route=route)


@pytest.mark.parametrize(("extra", "route", "message"), [
    ('rate_limit = "lots"', "", 'alerts.relay.channels[0].rate_limit: expected a rate like "20/min"'),
    ('recipients = ["12"]', "", 'alerts.relay.channels[0].recipients[0]: "12" is not a valid E.164 number'),
    ('recipients = ["+62 abc"]', "", "alerts.relay.channels[0].recipients[0]: \"+62 abc\" is not a phone number"),
    ('to = ["a@b.c"]', "", 'alerts.relay.channels[0].to: only for kind = "email" (this is kind = "whatsapp")'),
    ('from = "a@b.c"', "", 'alerts.relay.channels[0].from: only for kind = "email" (this is kind = "whatsapp")'),
    ('phone_number_id = "1"', "", 'alerts.relay.channels[0].phone_number_id: only for gateway = "cloud_api" '
     '(this is gateway = "waha")'),
    ('session = "s"\ngateway = "fonnte"', "", 'alerts.relay.channels[0].session: only for gateway = "waha" '
     '(this is gateway = "fonnte")'),
    ('method = "PUT"', "", 'alerts.relay.channels[0].method: only for gateway = "generic" (this is gateway = "waha")'),
    ('gateway = "sms"', "", "alerts.relay.channels[0].gateway: expected one of"),
    ('recipent = ["1"]', "", 'alerts.relay.channels[0].recipent: unknown key; did you mean "recipients"?'),
    ("", 'also = ["mail"]', 'alerts.relay.routes[0].also: no channel named "mail"'),
    ("", 'escalate_after = "15m"', "alerts.relay.routes[0].escalate_after: set escalate_after and escalate_to"),
    ('gateway = "generic"\nbody = { msg = "{txt}" }', "", "alerts.relay.channels[0].body.msg: unknown placeholder "
     "{txt}"),
    ('url = "http://u:p@gw"', "", "alerts.relay.channels[0].url: no user:password@"),
])
def test_bad_alerts_config_is_one_line(extra: str, route: str, message: str) -> None:
    with pytest.raises(ConfigError) as ei:
        parse(relay_text(extra, route), "x.toml")
    assert str(ei.value).startswith(f"x.toml: {message}"), str(ei.value)
    assert "\n" not in str(ei.value) and "/t" not in str(ei.value).split(":", 1)[1].replace("http://", "")


def test_email_password_needs_tls_off_loopback() -> None:
    text = ('[alerts.relay]\n[[alerts.relay.channels]]\nname = "m"\nkind = "email"\nhost = "smtp.example.com"\n'
            'tls = "none"\nusername = "u"\npassword_file = "/p"\nfrom = "a@b.example"\nto = ["o@b.example"]\n'
            '[[alerts.relay.routes]]\nchannels = ["m"]\n')
    with pytest.raises(ConfigError, match=r"alerts.relay.channels\[0\].tls: \"none\" would send the SMTP password"):
        parse(text, "x.toml")


@pytest.mark.parametrize(("raw", "e164"), [
    ("+62 812-3456-789", "628123456789"), ("0812 3456 789", "628123456789"), ("628123456789", "628123456789"),
    ("(0812) 3456.789", "628123456789"), ("0049 30 1234567", "49301234567"), ("+1 (650) 555-1234", "16505551234"),
])
def test_phone_numbers_are_normalised_once(raw: str, e164: str) -> None:
    assert normalize_phone(raw) == e164


def test_rates() -> None:
    assert RateLimit.parse("20/min") == RateLimit(20, 60.0)
    assert RateLimit.parse("5/10s") == RateLimit(5, 10.0)
    assert RateLimit.parse("100/h") == RateLimit(100, 3600.0)
    for bad in ("0/min", "x/min", "5", "5/fortnight"):
        with pytest.raises(ValueError):
            RateLimit.parse(bad)


def test_public_listen_without_bearer_token_is_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "a.toml"
    cfg.write_text(f'[agent]\nstate_dir = "{tmp_path / "s"}"\n[server]\nlisten = "0.0.0.0:0"\n'
                   + relay_text("", ""))
    r = subprocess.run([sys.executable, "-m", "cflexagent", "check", "-c", str(cfg)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2
    assert "alerts.relay.bearer_token_file: required when server.listen (0.0.0.0:0) is not a loopback" in r.stderr
    r = subprocess.run([sys.executable, "-m", "cflexagent", "run", "-c", str(cfg)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().endswith("required when server.listen (0.0.0.0:0) is not a loopback address (anyone "
                                     "who reaches the port could post alerts)")


EMAIL = ('[alerts.relay]\n[[alerts.relay.channels]]\nname = "m"\n{kind}host = "127.0.0.1"\nfrom = "a@b.example"\n'
         'to = ["o@b.example"]\n{extra}\n[[alerts.relay.routes]]\nchannels = ["m"]\n')


@pytest.mark.parametrize(("kind", "extra", "message"), [
    ('kind = "email"\n', 'recipients = ["0812345678"]',
     'alerts.relay.channels[0].recipients: only for kind = "whatsapp" (this is kind = "email")'),
    ('kind = "email"\n', 'gateway = "waha"',
     'alerts.relay.channels[0].gateway: only for kind = "whatsapp" (this is kind = "email")'),
    ('kind = "email"\n', 'hots = "x"', 'alerts.relay.channels[0].hots: unknown key; did you mean "host"?'),
    ("", "", 'alerts.relay.channels[0].kind: required key is missing (one of "email", "whatsapp")'),
    ('kind = "sms"\n', "", 'alerts.relay.channels[0].kind: expected one of "email", "whatsapp", got "sms"'),
])
def test_a_key_of_the_other_kind_is_refused_by_the_loader(kind: str, extra: str, message: str) -> None:
    with pytest.raises(ConfigError) as ei:
        parse(EMAIL.format(kind=kind, extra=extra), "x.toml")
    assert str(ei.value) == f"x.toml: {message}"


def test_channel_kinds_are_their_own_structs() -> None:
    cfg = parse(EMAIL.format(kind='kind = "email"\n', extra=""), "x.toml")
    assert cfg.alerts.relay is not None
    mail = cfg.alerts.relay.channels[0]
    assert isinstance(mail, EmailChannel) and mail.kind == "email" and mail.from_ == "a@b.example"
    assert not hasattr(mail, "recipients")
    missing = EMAIL.format(kind='kind = "email"\n', extra="").replace('host = "127.0.0.1"\n', "")
    with pytest.raises(ConfigError, match=r"^x.toml: alerts.relay.channels\[0\].host: required key is missing$"):
        parse(missing, "x.toml")
    wa = parse(relay_text("", ""), "x.toml").alerts.relay.channels[0]  # type: ignore[union-attr]
    assert isinstance(wa, WhatsAppChannel) and wa.kind == "whatsapp" and wa.numbers == ["628123456789"]
    assert not hasattr(wa, "host")


def test_check_reports_every_unreadable_relay_file_in_one_pass(tmp_path: Path) -> None:
    state = tmp_path / "s"
    text = (f'[agent]\nstate_dir = "{state}"\n'
            f'[alerts.relay]\nbearer_token_file = "{tmp_path}/no_relay_token"\n'
            '[[alerts.relay.channels]]\nname = "m"\nkind = "email"\nhost = "smtp.example.com"\n'
            f'username = "u"\npassword_file = "{tmp_path}/no_password"\nca_file = "{tmp_path}"\n'
            'from = "a@b.example"\nto = ["o@b.example"]\n'
            '[[alerts.relay.channels]]\nname = "wa"\nkind = "whatsapp"\nurl = "http://127.0.0.1:3000"\n'
            f'token_file = "{tmp_path}/no_wa_token"\nrecipients = ["08123456789"]\n'
            '[[alerts.relay.routes]]\nchannels = ["m", "wa"]\n')
    cfg = tmp_path / "a.toml"
    cfg.write_text(text)
    r = subprocess.run([sys.executable, "-m", "cflexagent", "check", "-c", str(cfg)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2, r.stderr
    errors = [line.split(": error: ", 1)[1] for line in r.stderr.splitlines() if ": error: " in line]
    assert errors == [
        f"alerts.relay.bearer_token_file: file not found: {tmp_path}/no_relay_token",
        f"alerts.relay.channels[0].ca_file: is a directory, expected a file: {tmp_path}",
        f"alerts.relay.channels[0].password_file: file not found: {tmp_path}/no_password",
        f"alerts.relay.channels[1].token_file: file not found: {tmp_path}/no_wa_token",
    ], r.stderr
    # A relay switched off reads none of its files: nothing to report.
    cfg.write_text(text.replace("[alerts.relay]\n", "[alerts.relay]\nenabled = false\n"))
    r = subprocess.run([sys.executable, "-m", "cflexagent", "check", "-c", str(cfg)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert ": error: " not in r.stderr


@pytest.mark.parametrize("ttl", ['"30s"', '"31d"'])
def test_ack_token_ttl_is_bounded_by_how_long_used_tokens_are_kept(ttl: str) -> None:
    # A used token is remembered 30 days: a link valid longer could be used a second time after that.
    with pytest.raises(ConfigError, match=r"alerts.ack.token_ttl: must be between 1m and 30d"):
        parse(relay_text("", "") + f"[alerts.ack]\ntoken_ttl = {ttl}\n", "x.toml")
    parse(relay_text("", "") + '[alerts.ack]\ntoken_ttl = "30d"\n', "x.toml")
