"""Redaction: table tests per rule, and property tests that PII never survives and IDs are never altered."""

from __future__ import annotations

import os
import re
import stat
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from cflexagent.config import ConfigError, decode
from cflexagent.logs.transforms import load_or_create_key, redaction
from cflexagent.logs.transforms.config import RedactConfig
from cflexagent.logs.transforms.redact import RedactMetrics, Redactor


def cfg(**kw: object) -> RedactConfig:
    return decode(kw, RedactConfig)  # type: ignore[no-any-return]


REDACTED = [
    # (rule, text, expected)
    ("email", "mail to Budi.Santoso+x@example.co.id now", "mail to <redacted:email> now"),
    ("email", "<a@b.io>", "<<redacted:email>>"),
    ("phone", "call +62 812-3456-7890 now", "call <redacted:phone> now"),
    ("phone", "wa 081234567890", "wa <redacted:phone>"),
    ("phone", "wa 0812 3456 7890.", "wa <redacted:phone>."),
    ("phone", "+6281234567890", "<redacted:phone>"),
    ("phone", "(415) 555-0100 called", "<redacted:phone> called"),
    ("phone", "415.555.0100", "<redacted:phone>"),
    ("phone", "415-555-0100", "<redacted:phone>"),
    ("phone", "+44 (0)20 7946 0958", "<redacted:phone>"),
    ("phone", "+49 30 12345678", "<redacted:phone>"),
    ("phone", "06 12 34 56 78", "<redacted:phone>"),
    ("phone", "(021) 555 1234", "<redacted:phone>"),
    ("phone", "tel 0044 20 7946 0958 ok", "tel <redacted:phone> ok"),
    ("phone", "0062 812-3456-7890", "<redacted:phone>"),
    ("phone", "wa 00628123456789012", "wa <redacted:phone>"),
    ("phone", "/api/users/081234567890/orders", "/api/users/<redacted:phone>/orders"),
    ("phone", "phone=081234567890&x=1", "phone=<redacted:phone>&x=1"),
    ("phone", "+62 812 3456 7890 2026 items", "<redacted:phone> 2026 items"),
    # Two numbers in a row: the first match is cut, and the rest is scanned again.
    ("phone", "wa 0841 7865 4888 086720397581", "wa <redacted:phone> <redacted:phone>"),
    ("card", "+49 51 0273 4646 4111 1111 1111 1111", "<redacted:phone> <redacted:card>"),
    ("card", "+ 4111111111111111, ok", "+ <redacted:card>, ok"),
    ("phone", "0957 3221 081693813330", "0957 3221 <redacted:phone>"),
    ("phone", "0812 3456 7890 0813 2222 3333 0814 4444 5555", "<redacted:phone> <redacted:phone> <redacted:phone>"),
    ("card", "085094191629 4324 8386 7360 3795 6621 9790 2782 3369",  # a card inside a rejected candidate
     "<redacted:phone> 8386 7360 3795 <redacted:card>"),
    # The WhatsApp form of Indonesian mobile numbers: the country code without "+".
    ("phone", "wa 6281234567890 ok", "wa <redacted:phone> ok"),
    ("phone", "62 812-3456-7890", "<redacted:phone>"),
    ("phone", "62-812-3456-7890 / 62.812.3456.7890", "<redacted:phone> / <redacted:phone>"),
    ("phone", "62812 3456 7890", "<redacted:phone>"),
    ("phone", "62811234567", "<redacted:phone>"),  # 11 digits: the shortest
    ("phone", "62812345678901", "<redacted:phone>"),  # 14 digits: the longest
    ("phone", "chatId 6281234567890@c.us", "chatId <redacted:phone>@c.us"),  # WAHA
    ("phone", "target=6281234567890&countryCode=62", "target=<redacted:phone>&countryCode=62"),  # Fonnte
    ("phone", "2026-11-26T10:15:00Z 6281234567890", "2026-11-26T10:15:00Z <redacted:phone>"),
    ("phone", "62 812 3456 7890 123 items", "<redacted:phone> 123 items"),  # then another number
    ("phone", "62 812 3456 7890 1234 5678", "<redacted:phone> 1234 5678"),
    ("card", "card 6281234567890126", "card <redacted:card>"),  # UnionPay 628x, Luhn-valid
    ("card", "card 6281 2345 6789 0126 ok", "card <redacted:card> ok"),
    ("card", "card 628123456789017", "card <redacted:card>"),
    ("card", "card 4111 1111 1111 1111 ok", "card <redacted:card> ok"),
    ("card", "4111111111111111", "<redacted:card>"),
    ("card", "5500-0000-0000-0004", "<redacted:card>"),
    ("card", "amex 3782 822463 10005", "amex <redacted:card>"),
    ("secret", "GET /f.pdf?X-Amz-Credential=AKIA123%2F2026&X-Amz-Signature=ab12cd&id=5",
     "GET /f.pdf?X-Amz-Credential=<redacted:secret>&X-Amz-Signature=<redacted:secret>&id=5"),
    ("secret", "/dl?sig=abc&token=xyz&page=2", "/dl?sig=<redacted:secret>&token=<redacted:secret>&page=2"),
    ("secret", "?KEY=s3cr3t", "?KEY=<redacted:secret>"),
    ("secret", "=x token=abc", "=x token=<redacted:secret>"),
    ("secret", "/p.pdf?X-Amz-Signature=0123456789abcdef", "/p.pdf?X-Amz-Signature=<redacted:secret>"),
    ("secret", "?access_token=eyJ.abc", "?access_token=<redacted:secret>"),
    ("secret", "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig", "Authorization: Bearer <redacted:secret>"),
    ("secret", '"authorization": "Basic dXNlcjpwYXNz"', '"authorization": "Basic <redacted:secret>"'),
]

UNTOUCHED = [
    "2026-11-26 10:15:00", "2026-11-26T10:15:00Z", "2026-11-26T10:15:00.123456+07:00", "26.11.2026 10:15",
    "05.11.2026 08:15:00", "req-abc123", "ORD-1001", "F-9983", "ORD-081234567890", "order_081234567890",
    "123e4567-e89b-12d3-a456-426614174000", "01234567-8901-2345-6789-0123456789ab",
    "1.24.3", "v2.10.100", "192.168.1.10:8080", "10.0.0.1", "duration=0.00012345s", "took 44231 ms",
    "bytes=52428800", "port 5432", "1732600000", "1732600000123456789", "count 12345678",
    "card 4111 1111 1111 1112", "the bearer of news", "key: value", "monkey=1", "api=1&page=3",
    "user@localhost", "3.14159265358979", "0.812345678901", "exit code 0", "pid 0812", "00:15:00", "0000123456",
    # Long digit runs and IDs that start like a WhatsApp-form number: not 11-14 digits, not Luhn-valid,
    # glued to a prefix, inside a longer number or a decimal, or 4-digit groups where "62" does not
    # stand apart.
    "6281234567", "628123456789012", "6281234567890123", "62812345678901234", "62812345678901234567",
    "6281 2345 6789 0123", "ORD-6281234567890", "x6281234567890", "order_6281234567890", "1628123456789",
    "6281234567890.5", "v6.2.8123", "VA 8808123456789012", "62 21 5551234",
]


@pytest.mark.parametrize(("rule", "text", "expected"), REDACTED)
def test_pattern_redacted(redactor: Redactor, rule: str, text: str, expected: str) -> None:
    assert redactor.redact_text(text) == expected
    assert redactor.counts.get(rule, 0) >= 1


@pytest.mark.parametrize("text", UNTOUCHED)
def test_not_personal_data_untouched(redactor: Redactor, text: str) -> None:
    assert redactor.redact_text(text) is text
    assert redactor.counts == {}


@pytest.mark.parametrize("impl", ["pure", "compiled"])
@pytest.mark.parametrize("text", ["(01" * 30_000, "+62 812 3456 " * 15_000, "0812 3456 7890 " * 10_000,
                                  "0" + "8" * 100_000], ids=["parens", "short-groups", "phones", "one-long-number"])
def test_long_runs_of_digit_groups_are_one_pass(impl: str, text: str) -> None:
    # Crafted or not, a long run of digit groups is scanned without recursion (a cut number's rest
    # and a rejected candidate resume the one scan) and every number in it is found.
    from cflexagent.logs.transforms import redact
    from tests.test_compiled import compiled

    r = (compiled(redact) if impl == "compiled" else redact).Redactor(RedactConfig())
    out = r.redact_text(text)
    if text.startswith("08888"):
        assert out is text  # one 100,001-digit number: no phone number
        return
    assert not re.search(r"[0-9]{9}|([0-9]+[ (]){3}[0-9]", out)  # nothing left that looks like a number
    assert out.count("<redacted:phone>") == r.counts.get("phone", 0) > 0


def test_luhn() -> None:
    luhn_ok = redaction.luhn_ok
    assert luhn_ok("4111111111111111") and luhn_ok("378282246310005") and not luhn_ok("4111111111111112")


def test_record_fields_nested_and_case_insensitive(redactor: Redactor) -> None:
    rec = {
        "ts": "2026-11-26T10:15:00Z", "level": "INFO", "Customer_Name": "Budi Santoso",
        "customer": {"name": "Siti", "Phone": 628123456789, "tier": "gold"},
        "contacts": [{"email": "a@b.co"}, {"note": "call 081234567890"}],
        "duration_ms": 44231, "request_id": "req-abc123", "msg": "ok",
    }
    out = redactor.redact_record(rec)
    assert out is not rec
    assert rec["Customer_Name"] == "Budi Santoso"  # the input is not modified
    assert out["Customer_Name"] == "<redacted:customer_name>"
    assert out["customer"] == {"name": "<redacted:name>", "Phone": "<redacted:phone>", "tier": "gold"}
    assert out["contacts"] == [{"email": "<redacted:email>"}, {"note": "call <redacted:phone>"}]
    assert out["duration_ms"] == 44231 and out["request_id"] == "req-abc123" and out["msg"] == "ok"
    assert redactor.counts == {"field": 4, "phone": 1}


def test_record_unchanged_is_same_object(redactor: Redactor) -> None:
    rec = {"ts": "2026-11-26T10:15:00Z", "msg": "processed F-9983 in 44231 ms", "n": 12345678901234}
    assert redactor.redact_record(rec) is rec


def test_allowlisted_fields_never_scanned(redactor: Redactor) -> None:
    rec = {"status": "sent to a@b.co", "note": "sent to a@b.co"}
    out = redactor.redact_record(rec)
    assert out == {"status": "sent to a@b.co", "note": "sent to <redacted:email>"}


def test_numbers_never_altered(redactor: Redactor) -> None:
    rec = {"amount": 4111111111111111, "msisdn_count": 81234567890, "ratio": 0.081234567}
    assert redactor.redact_record(rec) is rec


def test_drop_and_hash_actions_and_dotted_paths() -> None:
    r = redaction.Redactor(cfg(fields=["email", "customer.name"], field_action="hash",
                     field_actions={"address": "drop"}), key=b"x" * 32)
    out = r.redact_record({"name": "Top", "customer": {"name": " Budi "}, "address": "Jl. X",
                           "email": "A@B.co"})
    assert out["name"] == "Top"  # "customer.name" matches that path only
    assert "address" not in out
    assert re.fullmatch(r"<name:[0-9a-f]{16}>", out["customer"]["name"])
    # Hashes correlate: the same value (normalised) gives the same token on every line.
    again = r.redact_record({"customer": {"name": "budi"}, "email": "a@b.co"})
    assert again["customer"]["name"] == out["customer"]["name"] and again["email"] == out["email"]
    # ... but another key gives other tokens.
    r2 = redaction.Redactor(cfg(fields=["email"], field_action="hash"), key=b"y" * 32)
    assert r2.redact_record({"email": "a@b.co"})["email"] != out["email"]


@pytest.mark.parametrize(("text", "expected"), [
    ("/p.pdf?X-Amz-Signature=0812345678ab&id=5", "/p.pdf?X-Amz-Signature=<redacted:secret>&id=5"),
    ("?sig=4111111111111111", "?sig=<redacted:secret>"),
    ("token=0812345678901 sig=4111111111111111", "token=<redacted:secret> sig=<redacted:secret>"),
    # A query credential is masked whole, up to the next "&" (a comma may belong to it).
    ("?a=1&sig=abc,def then token=0812345678901", "?a=1&sig=<redacted:secret> then token=<redacted:secret>"),
    ("?q=token%3D0812345678901", "?q=token%3D<redacted:secret>"),
    # Parameter names the query pass reads otherwise than the whole-text scan: that scan still runs.
    ("GET /f?a=1&amp;token=abcd1234 HTTP/1.1", "GET /f?a=1&amp;token=<redacted:secret> HTTP/1.1"),
    ("?a=1&/dl?passWord=CdA4x", "?a=1&/dl?passWord=<redacted:secret>"),
    ("GET /f?x.token=abcd1234", "GET /f?x.token=<redacted:secret>"),
    ("GET /f?+sig=abcd1234", "GET /f?+sig=<redacted:secret>"),
    ("GET /a?%20sigNature=/e7+-Cf9&b=2", "GET /a?%20sigNature=<redacted:secret>&b=2"),
    # A mask the query pass wrote is not taken in (and counted) again by the whole-text scan.
    ("/dl?token=abcd<b:1> x=1", "/dl?token=<redacted:secret><b:1> x=1"),
])
def test_credential_counted_once_as_a_secret(redactor: Redactor, text: str, expected: str) -> None:
    # Credentials are masked before the digit patterns run: a signature's digits are not
    # counted as a phone or card number, and a query credential is not masked twice.
    assert redactor.redact_text(text) == expected
    assert redactor.counts == {"secret": expected.count("<redacted:secret>")}


@pytest.mark.parametrize("impl", ["pure", "compiled"])
@pytest.mark.parametrize(("action", "shipped"), [("mask", "<redacted:remote_user>"),
                                                 ("drop", "<redacted:remote_user>"),
                                                 ("hash", "<remote_user:")])
def test_field_action_on_a_text_format_field_masks_the_line_too(impl: str, action: str, shipped: str) -> None:
    # A text line is shipped whole: a field an action applies to (here nginx's remote_user) is
    # masked in the line as in the fields, and counted once, on the line.
    from cflexagent.logs.parsers.text import NGINX_COMBINED, compile_nginx_format, parse_nginx_access
    from cflexagent.logs.transforms import redact
    from tests.test_compiled import compiled

    mod = compiled(redact) if impl == "compiled" else redact
    r = mod.Redactor(cfg(field_actions={"remote_user": action}), key=b"k" * 32)
    line = ('203.0.113.9 - alice.w [26/Nov/2026:10:15:00 +0700] "GET /u/alice.w/orders?email=a%40b.co HTTP/1.1" '
            '200 5123 "-" "curl/8.0"')
    # A value a pattern would mask only in part is masked whole.
    line2 = ('203.0.113.9 - alice+0812345678@x.io [26/Nov/2026:10:15:00 +0700] "GET / HTTP/1.1" 200 5 "-" "curl/8.0"')
    # Only whole tokens: a short user name does not cut into a parameter name or an email.
    line3 = ('203.0.113.9 - ken [26/Nov/2026:10:15:00 +0700] "GET /dl/ken.doe@example.com?token=abcd1234 HTTP/1.1" '
             '200 5 "-" "curl/8.0"')
    clean = '203.0.113.9 - - [26/Nov/2026:10:15:00 +0700] "GET /api/orders HTTP/1.1" 200 5123 "-" "curl/8.0"'
    rx = compile_nginx_format(NGINX_COMBINED)
    records = [parse_nginx_access(rx, t)[1] for t in (line, clean, line2, line3)]  # type: ignore[index]
    out = r.redact_batch([t.encode() for t in (line, clean, line2, line3)], records, False, msgspec.json.encode)
    assert out is not None
    lines, fields = out
    text = lines[0].decode()
    assert "alice" not in text and text.count(shipped) == 2 and "email=<redacted:email>" in text
    assert "remote_user" not in fields[0] if action == "drop" else fields[0]["remote_user"].startswith(shipped)
    assert lines[1] == clean.encode() and fields[1] is records[1]
    assert lines[2].decode().startswith(f"203.0.113.9 - {shipped}") and "alice" not in lines[2].decode()
    text3 = lines[3].decode()
    assert text3.startswith(f"203.0.113.9 - {shipped}") and "/dl/<redacted:email>?token=<redacted:secret> " in text3
    # remote_user in three lines, the "email" query parameter, then line 3's email and token
    assert r.counts == {"field": 4, "email": 1, "secret": 1}


def test_pattern_hash_mode() -> None:
    r = redaction.Redactor(cfg(pattern_action="hash", hash_length=12), key=b"z" * 32)
    a = r.redact_text("to Budi@Example.com")
    b = r.redact_text("from budi@example.com")
    assert re.fullmatch(r"to <email:[0-9a-f]{12}>", a)
    assert a[3:] == b[5:]
    # One mobile number in its three written forms is one token (the hash is of its digits).
    forms = {r.redact_text(t) for t in ("6281234567890", "62 812-3456-7890", "+62 812 3456 7890")}
    assert len(forms) == 1 and re.fullmatch(r"<phone:[0-9a-f]{12}>", forms.pop())


QUERIES = [
    # (text, expected): parameters named like a redacted field get its action, other values are
    # URL-decoded before the patterns look at them.
    ('"GET /api/customers?name=Budi+Santoso&phone=0812-3456-7890&email=a%40b.com HTTP/1.1" 200',
     '"GET /api/customers?name=<redacted:name>&phone=<redacted:phone>&email=<redacted:email> HTTP/1.1" 200'),
    ("/search?q=budi%40example.com&page=2", "/search?q=<redacted:email>&page=2"),
    ("/s?q=call+0812+3456+7890", "/s?q=call+<redacted:phone>"),
    ("https://x.example/?Customer_Name=Budi&id=ORD-1001", "https://x.example/?Customer_Name=<redacted:customer_name>"
     "&id=ORD-1001"),
    ("/api?e%6Dail=a@b.co", "/api?e%6Dail=<redacted:email>"),
]
QUERIES_UNTOUCHED = [
    "/api/orders?page=2&sort=name+asc&id=ORD-1001&from=2026-11-26+10%3A15%3A00",
    "/dl/F-9983.pdf?v=1.24.3&size=52428800", "what? x=1", "a?b", "/x?name=",
]


@pytest.mark.parametrize(("text", "expected"), QUERIES)
def test_query_strings_redacted(redactor: Redactor, text: str, expected: str) -> None:
    assert redactor.redact_text(text) == expected


@pytest.mark.parametrize("text", QUERIES_UNTOUCHED)
def test_query_strings_without_pii_untouched(redactor: Redactor, text: str) -> None:
    assert redactor.redact_text(text) is text
    assert redactor.counts == {}


def test_query_field_actions_drop_and_hash_match_json_fields() -> None:
    r = redaction.Redactor(cfg(field_action="hash", field_actions={"address": "drop"}), key=b"x" * 32)
    out = r.redact_text("/c?email=Budi%40Example.com&address=Jl.+X+1&page=2")
    token = r.redact_record({"email": "budi@example.com"})["email"]
    assert out == f"/c?email={token}&page=2"  # the same token as the JSON field: lines correlate


def test_ip_only_when_configured() -> None:
    text = "client 203.0.113.9 port 443"
    assert redaction.Redactor(RedactConfig()).redact_text(text) == text
    r = redaction.Redactor(cfg(patterns=["ip"]))
    assert r.redact_text(text) == "client <redacted:ip> port 443"
    assert r.redact_text("v1.24.3.1") == "v1.24.3.1"


def test_user_rules_and_disabled() -> None:
    r = redaction.Redactor(cfg(rules=[{"name": "nik", "regex": r"\bNIK\d{16}\b"}]))
    assert r.redact_text("id NIK3171234567890123 ok") == "id <redacted:nik> ok"
    assert r.counts == {"nik": 1}
    off = redaction.Redactor(cfg(enabled=False))
    rec = {"name": "Budi", "msg": "a@b.co"}
    assert off.redact_record(rec) is rec and off.redact_text("a@b.co") == "a@b.co"


@pytest.mark.parametrize(("raw", "message"), [
    ({"hash_length": 4}, "hash_length"),
    ({"fields": ["a..b"]}, "fields"),
    ({"rules": [{"name": "email", "regex": "x"}]}, "rules"),
    ({"rules": [{"name": "x", "regex": "a*"}]}, "empty string"),
    ({"patterns": ["nope"]}, "nope"),
])
def test_config_validation(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        cfg(**raw)


def test_key_file_created_0600_and_stable(tmp_path: os.PathLike[str]) -> None:
    path = os.path.join(tmp_path, "sub", "redact.key")
    k1 = load_or_create_key(path)
    assert len(k1) == 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_or_create_key(path) == k1


def test_metrics_collector() -> None:
    reg = CollectorRegistry()
    m = RedactMetrics(reg)
    r = redaction.Redactor(RedactConfig(), counts=m.counts_for("app"))
    r.redact_text("a@b.co and c@d.co")
    assert reg.get_sample_value("cflexagent_log_redactions_total", {"source": "app", "rule": "email"}) == 2


# -- properties ---------------------------------------------------------------

_words = st.sampled_from(["order", "ok", "sent", "to", "file", "done", "the", "x", "failed", "retry", "-", ",", ":"])
_filler = st.lists(_words, min_size=0, max_size=6).map(" ".join)


@st.composite
def phones(draw: st.DrawFn) -> str:
    form = draw(st.integers(0, 7))
    d = lambda n: "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=n, max_size=n)))  # noqa: E731
    sep = draw(st.sampled_from(["", " ", "-", "."]))
    if form == 0:  # E.164
        return "+" + draw(st.sampled_from("123456789")) + d(draw(st.integers(7, 13)))
    if form == 1:  # Indonesian mobile, national
        return f"08{d(2)}{sep}{d(4)}{sep}{d(draw(st.integers(3, 5)))}"
    if form == 2:  # Indonesian mobile, international
        return f"+62 8{d(2)}{sep or ' '}{d(4)}{sep or ' '}{d(4)}"
    if form == 3:  # US
        area = draw(st.sampled_from("23456789")) + d(2)
        return draw(st.sampled_from([f"({area}) {d(3)}-{d(4)}", f"{area}.{d(3)}.{d(4)}", f"{area}-{d(3)}-{d(4)}"]))
    if form == 4:  # European national
        return f"0{draw(st.sampled_from('123456789'))}{d(1)}{sep}{d(4)}{sep}{d(4)}"
    if form == 5:  # European, international
        return f"+{draw(st.sampled_from(['33', '49', '31', '44']))} {d(2)} {d(4)} {d(4)}"
    if form == 7:  # Indonesian mobile, the WhatsApp form: the country code without "+" (11-14 digits)
        return f"62{sep}8{draw(st.sampled_from('123456789'))}{d(1)}{sep}{d(4)}{sep}{d(draw(st.integers(2, 5)))}"
    # The "00" international prefix (what "+" stands for when dialled)
    cc = draw(st.sampled_from(["33", "49", "31", "44", "62"]))
    return f"00{cc}{sep or ' '}{draw(st.sampled_from('123456789'))}{d(2)}{sep}{d(4)}{sep}{d(draw(st.integers(3, 4)))}"


@st.composite
def cards(draw: st.DrawFn) -> str:
    digits = [int(draw(st.sampled_from("3456"))), *draw(st.lists(st.integers(0, 9), min_size=14, max_size=14))]
    # Luhn check digit
    total = 0
    for i, dgt in enumerate(reversed(digits)):
        v = dgt * 2 if i % 2 == 0 else dgt
        total += v - 9 if v > 9 else v
    digits.append((10 - total % 10) % 10)
    s = "".join(map(str, digits))
    return draw(st.sampled_from([s, " ".join(s[i:i + 4] for i in range(0, 16, 4)),
                                 "-".join(s[i:i + 4] for i in range(0, 16, 4))]))


_local = st.from_regex(r"[a-z][a-z0-9._+\-]{0,15}[a-z0-9]", fullmatch=True).filter(lambda s: ".." not in s)
emails = st.builds(lambda a, b, t: f"{a}@{b}.{t}", _local, st.from_regex(r"[a-z][a-z0-9\-]{0,10}[a-z]", fullmatch=True),
                   st.sampled_from(["com", "co.id", "io", "de"]))
secret_values = st.one_of(st.from_regex(r"[A-Za-z0-9%/+]{4,40}", fullmatch=True),
                          # hex signatures that start like a phone number or a card
                          st.from_regex(r"0?[0-9]{8,16}[a-f0-9]{0,24}", fullmatch=True))
url_secrets = st.builds(lambda p, v: (f"https://s.example/f.pdf?id=F-1&{p}={v}", v),
                        st.sampled_from(["signature", "sig", "token", "X-Amz-Signature", "X-Amz-Credential",
                                         "key", "access_token"]), secret_values)

ids = st.one_of(
    st.from_regex(r"(req|ORD|F|job|usr)-[0-9a-z]{1,16}", fullmatch=True),
    st.uuids().map(str),
    st.datetimes().map(lambda t: t.isoformat()),
    st.datetimes().map(lambda t: t.isoformat(timespec="milliseconds") + "Z"),
    st.datetimes().map(lambda t: t.strftime("%Y-%m-%d %H:%M:%S")),
    st.tuples(st.integers(0, 99), st.integers(0, 99), st.integers(0, 999)).map(lambda v: f"{v[0]}.{v[1]}.{v[2]}"),
    st.integers(0, 10**12).map(str),
    st.integers(0, 10**6).map(lambda n: f"{n}ms"),
    st.floats(0, 1000, allow_nan=False).map(lambda f: f"{f:.6f}s"),
    st.integers(1, 65535).map(lambda p: f":{p}"),
)

PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(pre=_filler, post=_filler, pii=st.one_of(phones(), cards(), emails))
def test_pii_never_survives_in_text(pre: str, post: str, pii: str) -> None:
    r = redaction.Redactor(RedactConfig())
    out = r.redact_text(f"{pre} {pii} {post}")
    assert pii not in out
    assert sum(r.counts.values()) >= 1


@PROPS
@given(pre=_filler, sv=url_secrets)
def test_url_secrets_never_survive(pre: str, sv: tuple[str, str]) -> None:
    url, value = sv
    out = redaction.Redactor(RedactConfig()).redact_text(f"{pre} GET {url} HTTP/1.1")
    assert f"={value}" not in out
    # Not a tail of it either: the whole value is one mask.
    param = url.rsplit("&", 1)[1].split("=", 1)[0]
    shipped = out.rsplit(f"{param}=", 1)[1].split(" ", 1)[0]
    assert re.fullmatch(r"<[a-z_]+:[0-9a-z_]+>", shipped), shipped


@PROPS
@given(pii=st.one_of(phones(), cards(), emails), param=st.sampled_from(["q", "to", "ref", "email", "contact"]),
       plus=st.booleans())
def test_pii_never_survives_url_encoded_in_a_query(pii: str, param: str, plus: bool) -> None:
    from urllib.parse import quote, quote_plus

    encoded = quote_plus(pii) if plus else quote(pii, safe="")
    out = redaction.Redactor(RedactConfig()).redact_text(f'"GET /api/x?id=ORD-1&{param}={encoded}&page=2 HTTP/1.1"')
    assert pii not in out and encoded not in out and "&page=2 HTTP/1.1" in out


@PROPS
@given(pii=st.one_of(phones(), cards(), emails), key=st.sampled_from(["msg", "note", "detail"]),
       nest=st.booleans())
def test_pii_never_survives_in_json(pii: str, key: str, nest: bool) -> None:
    rec: dict[str, object] = {"ts": "2026-11-26T10:15:00Z", key: f"notify {pii} done", "n": 5}
    if nest:
        rec = {"ts": "x", "ctx": {"items": [rec]}}
    out = redaction.Redactor(RedactConfig()).redact_record(rec)
    assert pii not in repr(out)


@PROPS
@given(parts=st.lists(ids, min_size=1, max_size=6), sep=st.sampled_from([" ", ", ", " | ", "="]))
def test_ids_dates_versions_numbers_never_altered(parts: list[str], sep: str) -> None:
    r = redaction.Redactor(RedactConfig())
    text = sep.join(parts)
    assert r.redact_text(text) == text
    rec = {"msg": text, "n": [int(p) for p in parts if p.isdigit()] or 0}
    assert r.redact_record(rec) is rec


def parity_corpus() -> list[dict[str, object] | None]:
    """Records as apps log them: allowlisted only, PII in fields, free text, URLs, nested, odd values."""
    import random

    from tests.logs.transforms.test_names import NAMED
    from tests.logs.transforms.test_names import UNTOUCHED as NOT_NAMES

    rnd = random.Random(11)
    texts = ([t for _, t, _ in REDACTED] + UNTOUCHED + ["", "x" * 300, "ünïcode 0812 3456 7890 ✓"]
             + [t for _, t, _ in NAMED] + [t for _, t in NOT_NAMES])
    out: list[dict[str, object] | None] = []
    for i in range(2000):
        rec: dict[str, object] = {"ts": "2026-11-26T10:15:00Z", "level": "INFO", "service": "cflex-api",
                                  "request_id": f"req-{i:06x}", "order_id": f"ORD-{i}", "duration_ms": i}
        kind = i % 6
        if kind == 1:
            rec.update(customer_name="Siti Rahma", phone="+62 812-3456-7890", Email="SITI@example.co.id")
        elif kind == 2:
            rec["msg"] = rnd.choice(texts)
        elif kind == 3:
            rec["url"] = (f"https://files.example/p/F-{i}.pdf?X-Amz-Signature={rnd.getrandbits(64):016x}"
                          f"&email=a%40b.co&q=Budi+0812+3456+7890&page={i}")
        elif kind == 4:
            rec["customer"] = {"name": "Budi", "tags": [rnd.choice(texts), 5, None, {"phone": 62812345678}]}
        elif kind == 5 and i % 12 == 5:
            out.append(None)
            continue
        out.append(rec)
    return out


@pytest.mark.parametrize("config", [{}, {"field_action": "hash", "pattern_action": "hash"},
                                    {"patterns": ["ip", "email"], "field_actions": {"address": "drop"},
                                     "rules": [{"name": "nik", "regex": r"\bNIK\d{16}\b"}]},
                                    {"names_allow": ["Kevin", "Bintang Jaya"], "names_extra": ["Indah"]}],
                         ids=["default", "hash", "ip-rules", "names-lists"])
def test_compiled_redaction_gives_exactly_what_the_pure_one_gives(config: dict[str, object]) -> None:
    from cflexagent.logs.transforms import names, redact
    from tests.logs.transforms.test_names import NAMED
    from tests.test_compiled import compiled

    mod, names_mod = compiled(redact), compiled(names)
    records = parity_corpus()
    texts = [t for _, t, _ in REDACTED] + UNTOUCHED + [t for _, t, _ in NAMED]

    def run(impl: object, finder_mod: Any) -> tuple[object, ...]:
        c = cfg(**config)
        # Each build with its own name finder (the agent builds the one compiled.py picks).
        finder = finder_mod.NameFinder(finder_mod.shipped_names(), c.names_allow, c.names_extra)
        r = impl.Redactor(c, key=b"p" * 32, names=finder)  # type: ignore[attr-defined]
        lines = [msgspec.json.encode(rec) if rec is not None else b"not json 0812 3456 7890" for rec in records]
        out = r.redact_batch(lines, records, True, msgspec.json.encode)
        assert out is not None
        changed = [i for i, rec in enumerate(out[1]) if rec is not records[i]]
        text_lines = [t.encode() for t in texts]  # a text format: fields parsed out of some lines
        fields: list[dict[str, Any] | None] = [{"path": t} if i % 2 else None for i, t in enumerate(texts)]
        text_out = r.redact_batch(text_lines, fields, False, msgspec.json.encode)
        return changed, out, text_out, [r.redact_text(t) for t in texts], dict(r.counts)

    got, want = run(mod, names_mod), run(redact, names)
    assert got == want
    assert len(got[0]) > 1000 and got[4]  # the corpus exercises the rules
    assert got[4].get("name", 0) > 100 or "patterns" in config  # names too, where they are on
