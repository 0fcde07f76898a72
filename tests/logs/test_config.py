"""The documented logs sections of the example config load, and bad values name their key."""

from __future__ import annotations

import re

import pytest

from cflexagent.cli import example_config_text
from cflexagent.config import ConfigError, parse


def logs_sections() -> str:
    text = example_config_text()
    block = text.split("# (start of the logs sections)\n", 1)[1].split("# (end of the logs sections)", 1)[0]
    return "\n".join(re.sub(r"^# ?", "", line) for line in block.splitlines()) + "\n"


def test_example_logs_sections_load_with_their_documented_defaults() -> None:
    cfg = parse(logs_sections(), "example.toml")
    assert cfg.logs.loki is not None and cfg.logs.loki.encoding == "protobuf"
    assert cfg.logs.loki.spool_max_bytes == 1024**3 and cfg.logs.loki.spool_when_full == "block"
    src = cfg.logs.sources[0]
    assert src.format == "json" and src.label_fields == ["service", "level"] and src.max_line_bytes == 256 * 1024
    defaults = parse('[logs.loki]\n[[logs.sources]]\nname = "app"\npaths = ["/var/log/cflex/*.log"]\n'
                     'format = "json"\n', "d.toml")
    assert defaults.logs.loki == cfg.logs.loki
    for key in ("start_at", "long_lines", "partial_line_grace", "rotate_wait", "scan_interval", "read_interval",
                "read_chunk", "max_streams", "label_value_max_bytes"):
        assert getattr(defaults.logs.sources[0], key) == getattr(src, key), key


@pytest.mark.parametrize("text,message", [
    ('[logs.loki]\nurl = "loki:3100"\n', "logs.loki.url: expected an http"),
    ('[logs.loki]\nspool_when_full = "panic"\n', 'logs.loki.spool_when_full: expected one of "block"'),
    ('[logs.loki]\nbatch_max_bytes = "1MiB"\nspool_max_bytes = "2MiB"\n', "logs.loki.spool_max_bytes"),
    ('[[logs.sources]]\nname = "a"\npaths = ["/x"]\n', "lines need somewhere to go"),
    ('[logs.console]\n[[logs.sources]]\nname = "a"\npaths = ["x.log"]\n', "must be an absolute path"),
    ('[logs.console]\n[[logs.sources]]\nname = "a"\npaths = ["/x"]\nformat = "json"\nlabel_fields = ["le-vel"]\n',
     "not a valid Loki label name"),
    ('[logs.console]\n[[logs.sources]]\nname = "a"\npaths = ["/x"]\nmax_line_bytes = "1MiB"\n', "max_line_bytes"),
    ('[logs.console]\n[[logs.sources]]\nname = "a"\npaths = ["/x"]\nlabel_fields = ["level"]\n',
     "needs a structured format"),
    ('[logs.loki]\nbasic_auth_passwrd_file = "/x"\n', 'did you mean "basic_auth_password_file"'),
])
def test_bad_logs_config_is_one_clear_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as e:
        parse(text, "x.toml")
    assert message in str(e.value) and "\n" not in str(e.value)
