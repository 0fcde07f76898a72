"""``cflexagent logs preview``: what would be shipped, through the pipeline's own functions."""

from __future__ import annotations

from pathlib import Path

import pytest

from cflexagent.cli import main

APP = ('{"ts":"2026-11-26T10:15:00.123Z","level":"INFO","service":"cflex-api","action":"order_created",'
       '"request_id":"req-abc123","order_id":"ORD-1001","customer_name":"Budi Santoso",'
       '"msg":"confirmation sent to budi@example.co.id"}\n'
       "not json, call 0812 3456 7890\n")


def write_config(tmp_path: Path, extra: str = "") -> Path:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[agent]\nstate_dir = "{tmp_path / "state"}"\n[logs.console]\n'
                   f'[[logs.sources]]\nname = "app"\npaths = ["{tmp_path}/*.log"]\nformat = "json"\n'
                   'labels = { job = "cflex" }\nlabel_fields = ["service", "level"]\n'
                   'metadata_fields = ["request_id", "order_id"]\ntimestamp_field = "ts"\n' + extra)
    return cfg


def test_preview_json_source(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "app.log").write_text(APP)
    cfg = write_config(tmp_path)
    assert main(["logs", "preview", "-c", str(cfg), "--source", "app"]) == 0
    out = capsys.readouterr().out
    assert '#1 2026-11-26T10:15:00.123000000Z {job="cflex", level="INFO", service="cflex-api"}' in out
    assert "metadata: request_id=req-abc123 order_id=ORD-1001" in out
    assert '"customer_name":"<redacted:customer_name>"' in out and "<redacted:email>" in out
    assert "Budi" not in out and "budi@" not in out
    assert '{job="cflex", level="unknown"}' in out and "call <redacted:phone>" in out
    assert "redactions: email=1, field=1, phone=1" in out


def test_preview_shows_names_redacted_in_free_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "app.log").write_text('{"ts":"2026-11-26T10:15:00Z","level":"INFO","service":"cflex-api",'
                                      '"msg":"Pelanggan Ibu Ratna Sari minta revisi, oleh kevin.wijaya"}\n')
    cfg = write_config(tmp_path)
    assert main(["logs", "preview", "-c", str(cfg), "--source", "app"]) == 0
    out = capsys.readouterr().out
    assert '"msg":"Pelanggan Ibu <redacted:name> minta revisi, oleh <redacted:name>"' in out
    assert "Ratna" not in out and "kevin" not in out and "redactions: name=2" in out


def test_preview_hash_uses_the_agents_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "app.log").write_text(APP)
    cfg = write_config(tmp_path, '[logs.redact]\nfield_action = "hash"\npattern_action = "hash"\n')
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "redact.key").write_bytes(b"k" * 32)
    assert main(["logs", "preview", "-c", str(cfg), str(tmp_path / "app.log"), "--lines", "1"]) == 0
    out = capsys.readouterr().out
    assert '"customer_name":"<customer_name:' in out and "not readable" not in out
    assert "#2" not in out


def test_preview_nginx_without_config(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CFLEXAGENT_CONFIG", "")
    monkeypatch.chdir(tmp_path)
    log = tmp_path / "access.log"
    log.write_text('1.2.3.4 - - [26/Nov/2026:10:15:00 +0000] "GET /dl?token=s3cr3t&id=F-1 HTTP/1.1" 200 5 "-" "x"\n')
    import cflexagent.config as c

    monkeypatch.setattr(c, "DEFAULT_CONFIG_PATH", str(tmp_path / "none.toml"))
    assert main(["logs", "preview", "--format", "nginx_access", str(log)]) == 0
    out = capsys.readouterr().out
    assert "#1 2026-11-26T10:15:00.000000000Z" in out and "token=<redacted:secret>&id=F-1" in out


def test_preview_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write_config(tmp_path)
    assert main(["logs", "preview", "-c", str(cfg), "--source", "nope"]) == 2
    assert 'no source named "nope"' in capsys.readouterr().err
    assert main(["logs", "preview", "-c", str(cfg), "--source", "app"]) == 2  # no file yet
    assert main(["logs", "preview", "-c", str(cfg), str(tmp_path / "missing.log")]) == 1


def test_preview_without_path_takes_the_first_file_of_the_first_source(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "app.log").write_text(APP)
    (tmp_path / "old.log.gz").write_bytes(b"\x1f\x8b")  # excluded, like the tailer excludes it
    cfg = write_config(tmp_path, 'exclude = ["*.gz"]\n')
    assert main(["logs", "preview", "-c", str(cfg), "--lines", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"# {tmp_path / 'app.log'}: source app") and "#1 " in out and "#2" not in out


def test_preview_without_path_or_file_source_is_one_line_exit_2(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[agent]\nstate_dir = "{tmp_path / "state"}"\n')
    assert main(["logs", "preview", "-c", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "give a PATH" in err and err.count("\n") == 1 and "Traceback" not in err


def test_preview_refuses_what_the_tailer_would_not_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write_config(tmp_path)
    assert main(["logs", "preview", "-c", str(cfg), "--format", "raw", "/dev/zero"]) == 2
    assert "not a regular file" in capsys.readouterr().err


@pytest.mark.parametrize(("mode", "entries"), [("truncate", [1024, 11]), ("split", [1024, 1024, 952, 11])])
def test_preview_cuts_long_lines_like_the_tailer(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 mode: str, entries: list[int]) -> None:
    log = tmp_path / "app.log"
    log.write_bytes(b"x" * 3000 + b"\nshort line\nlast, no newline")
    cfg = write_config(tmp_path, f'max_line_bytes = "1KiB"\nlong_lines = "{mode}"\n')
    assert main(["logs", "preview", "-c", str(cfg), "--lines", str(len(entries)), str(log)]) == 0
    out = capsys.readouterr().out
    shipped = [line[2:] for line in out.splitlines() if line.startswith("  ") and not line.startswith("  metadata")]
    # A raw line in a json source ships as is; its length is what the tailer cut it to.
    assert [len(s) for s in shipped] == [*entries[:-1], len("short line")]
    assert f"{'truncated' if mode == 'truncate' else 'split'} 1" in out


def test_preview_reads_a_bounded_amount_and_shows_the_last_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import cflexagent.logs.cli as preview

    monkeypatch.setattr(preview, "PREVIEW_MAX_BYTES", 4 * 1024 * 1024)
    log = tmp_path / "app.log"
    with open(log, "wb") as f:  # one 32 MiB line that never ends
        f.truncate(32 * 1024 * 1024)
    cfg = write_config(tmp_path)
    assert main(["logs", "preview", "-c", str(cfg), str(log)]) == 0
    out = capsys.readouterr().out
    assert "# 1 entry" in out and "stopped after reading" in out and "truncated 1" in out
    (tmp_path / "tail.log").write_text('{"msg":"no newline at the end, a@b.co"}')
    assert main(["logs", "preview", "-c", str(cfg), str(tmp_path / "tail.log")]) == 0
    assert '{"msg":"no newline at the end, <redacted:email>"}' in capsys.readouterr().out


def test_names_shows_what_the_rules_and_the_model_take(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CFLEXAGENT_CONFIG", raising=False)  # no config: the defaults
    assert main(["logs", "names", "approved by Budi Santoso", "Shift pagi: Sutarmi Wulandari (packing)",
                 "PT Budi Santoso invoice"]) == 0
    from cflexagent.logs.cli import NOT_READ

    out = capsys.readouterr().out.splitlines()
    assert out[0] == "approved by <redacted:name>" and out[1].split() == ["Budi", "Santoso", "rules"]
    assert out[2] == f"  {NOT_READ}"  # (the rules took the only name: nothing left worth the model's reading)
    assert out[3] == "Shift pagi: <redacted:name> (packing)"
    sutarmi, wulandari = out[4].split(), out[5].split()
    assert sutarmi[:2] == ["Sutarmi", "model"] and float(sutarmi[2]) > 0.6
    assert wulandari[:2] == ["Wulandari", "model"]
    assert out[6] == "PT Budi Santoso invoice"  # the model weighed its words and left them
    assert out[7:] and all("left by the model" in line for line in out[7:])  # (vetoed: only above 0.6)


def test_names_reads_stdin_and_the_configs_names_settings(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    cfg = write_config(tmp_path, '[logs.redact]\nnames_model = false\nnames_allow = ["Budi"]\n')
    monkeypatch.setattr("sys.stdin", io.StringIO("Shift pagi: Sutarmi Wulandari (packing)\nBudi uploaded\n"))
    assert main(["logs", "names", "-c", str(cfg)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["Shift pagi: Sutarmi Wulandari (packing)", "Budi uploaded",
                   "# names_model = false: the rules alone"]
