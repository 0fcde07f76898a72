"""Config loading: every bad input is one line naming the file and key path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cflexagent.config import Config, ConfigError, load, parse
from cflexagent.configtypes import Duration, HostPort, Percent, Size

EXAMPLE = Path(__file__).resolve().parents[2] / "configs" / "cflexagent.example.toml"


def test_example_config_loads_and_is_documented() -> None:
    cfg = load(EXAMPLE)
    assert isinstance(cfg, Config)
    assert cfg.server.listen == HostPort("127.0.0.1", 9087)
    text = EXAMPLE.read_text()
    # Every top-level section of the schema is mentioned in the example.
    for section in ("[agent]", "[server]"):
        assert section in text


def test_empty_config_gives_defaults() -> None:
    cfg = parse("", "x.toml")
    assert cfg.agent.state_dir == "/var/lib/cflexagent"
    assert cfg.agent.log_level == "info"
    assert float(cfg.agent.shutdown_grace) == 10.0
    assert cfg.server.tls is None and cfg.server.basic_auth is None
    assert cfg.agent.instance_name  # hostname


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[server]\nlisten = "9465"\n', 'x.toml: server.listen: expected host:port, got "9465"'),
        ('[server]\nlistn = "127.0.0.1:1"\n', 'x.toml: server.listn: unknown key; did you mean "listen"?'),
        ('[agnet]\n', 'x.toml: agnet: unknown key; did you mean "agent"?'),
        ('[agent]\nlog_level = "loud"\n',
         'x.toml: agent.log_level: expected one of "debug", "error", "info", "warning", got "loud"'),
        ('[agent]\nshutdown_grace = "10 parsecs"\n',
         'x.toml: agent.shutdown_grace: expected a duration like "30s", "5m" or "1h30m", got "10 parsecs"'),
        ('[agent]\nshutdown_grace = 10\n',
         'x.toml: agent.shutdown_grace: expected a duration like "30s", got an integer (10)'),
        ('[agent]\nstate_dir = ""\n', "x.toml: agent.state_dir: must not be empty"),
        ('[agent]\nstate_dir = 5\n', "x.toml: agent.state_dir: expected a string, got an integer (5)"),
        ('[server.basic_auth]\nusers = { admin = "secret" }\n',
         "x.toml: server.basic_auth.users.admin: not a bcrypt hash (expected $2b$<cost>$<53 chars>); "
         "make one with: cflexagent hash-password"),
        ('[server.tls]\ncert_file = "a"\n', "x.toml: server.tls.key_file: required key is missing"),
        ('[server\n', "x.toml: invalid TOML: Expected ']' at the end of a table declaration (at line 1, column 8)"),
        ('[[heartbeats]]\nname = "a"\nurl = "https://h.example/x"\n[[heartbeats]]\nname = "a"\n'
         'url = "https://h.example/y"\n', 'x.toml: heartbeats[1].name: duplicate heartbeat name "a"'),
        ('[[heartbeats]]\nname = "a"\nurl = "https://h.example/x"\nrequire_probes = ["api"]\n',
         'x.toml: heartbeats[0].require_probes: no probe named "api"'),
    ],
)
def test_bad_config_is_one_line_with_key_path(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as exc:
        parse(text, "x.toml")
    assert str(exc.value) == expected
    assert "\n" not in str(exc.value)


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"config file not found"):
        load(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match=r"is a directory"):
        load(tmp_path)
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b'[agent]\ninstance = "caf\xe9"\n')
    with pytest.raises(ConfigError, match=r"not UTF-8"):
        load(bad)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("500ms", 0.5), ("30s", 30), ("5m", 300), ("1h30m", 5400), ("7d", 604800), ("1.5s", 1.5)],
)
def test_durations(text: str, seconds: float) -> None:
    assert Duration.parse(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("text", "size"),
    [("64MiB", 64 << 20), ("1GiB", 1 << 30), ("512KB", 512_000), ("100", 100), ("1.5MiB", 1572864), ("2 GB", 2e9)],
)
def test_sizes(text: str, size: int) -> None:
    assert Size.parse(text) == size


@pytest.mark.parametrize("text", ["", "5", "5x", "s", "-5s"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        Duration.parse(text)


def test_hostport_forms() -> None:
    assert HostPort.parse("[::1]:9087") == HostPort("::1", 9087)
    assert str(HostPort.parse("[::1]:9087")) == "[::1]:9087"
    assert HostPort.parse(":9087") == HostPort("", 9087)
    for bad in ("::1:9087", "host", "host:99999", "host:x"):
        with pytest.raises(ValueError):
            HostPort.parse(bad)


def test_percent() -> None:
    assert Percent.parse("5%") == pytest.approx(0.05)
    for bad in ("5", "150%", "x%"):
        with pytest.raises(ValueError):
            Percent.parse(bad)


def test_error_never_contains_traceback_words() -> None:
    with pytest.raises(ConfigError) as exc:
        parse('[server]\nlisten = ["a"]\n', "x.toml")
    assert not re.search(r"Traceback|File \"", str(exc.value))
    assert str(exc.value).startswith("x.toml: server.listen: ")


def _keys(t: object, path: str, seen: frozenset[type]) -> list[str]:
    """Every key path of the config schema (tables and their keys)."""
    import msgspec.inspect as mi

    if isinstance(t, mi.UnionType):
        return [k for s in t.types for k in _keys(s, path, seen)]
    if isinstance(t, (mi.ListType, mi.VarTupleType)):
        return _keys(t.item_type, path + "[]", seen)
    if isinstance(t, mi.DictType):
        return _keys(t.value_type, path + ".*", seen)
    if isinstance(t, mi.StructType) and t.cls not in seen:
        out = []
        for f in t.fields:
            p = f"{path}.{f.encode_name}" if path else f.encode_name
            out += [p, *_keys(f.type, p, seen | {t.cls})]
        return out
    return []


def test_example_config_documents_every_key() -> None:
    import msgspec.inspect as mi

    text = EXAMPLE.read_text()
    missing = []
    for path in _keys(mi.type_info(Config), "", frozenset()):
        name = path.rsplit(".", 1)[-1].removesuffix("[]")
        if name == "*":
            continue
        written = r"(^|[\s#\[.])" + re.escape(name) + r"\s*(=|\]|\.)"  # key = ..., [table], table.key
        tabulated = r"^#\s+" + re.escape(name) + r"\s{2,}\S"  # a "#   key   meaning" table row
        if not re.search(written, text, re.M) and not re.search(tabulated, text, re.M):
            missing.append(path)
    assert not missing, f"keys not documented in the example config: {missing}"
