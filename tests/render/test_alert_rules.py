"""Every alert is proven by `promtool test rules`: it fires once its condition held for its `for`, with the
expected labels and annotations, and stays silent just below its threshold and before its `for` elapses."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from cflexagent.config import Config, parse
from cflexagent.render.common import duration

from .alert_cases import cases
from .conftest import example_config, render_to, run, tool

NGINX = '[render]\nhttp_metrics = "nginx"\n[storage.sftp]\nhost = "h"\nusername = "u"\nkey_file = "/k"\n' \
        'known_hosts = "/kh"\ndaily_at = "03:00"\n[[storage.sftp.areas]]\nname = "a"\npath = "p"\n'
CONFIGS = {
    "example": example_config,
    "no-render": lambda: parse("", "bare.toml"),
    "nginx-metrics-daily-scan": lambda: parse(NGINX, "nginx.toml"),
}


def rules_of(directory: Path) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for f in sorted((directory / "prometheus" / "rules").glob("*.yml")):
        for group in yaml.safe_load(f.read_text())["groups"]:
            for r in group["rules"]:
                if "alert" in r:
                    assert r["alert"] not in out, f"alert {r['alert']} defined twice"
                    out[r["alert"]] = r
    return out


_LABEL = re.compile(r"\{\{ \$labels\.(\w+) \}\}")


def expand(text: str, labels: dict[str, str]) -> str:
    """Annotations may only template $labels (so the text an on-call reads is predictable)."""
    out = _LABEL.sub(lambda mt: labels.get(mt[1], ""), text)
    assert "{{" not in out, f"annotation uses more than {{{{ $labels.x }}}}: {text!r}"
    return out


def promtool_tests(cfg: Config, alerts: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    tests = []
    for name, (severity, scenarios) in cases(cfg).items():
        rule = alerts[name]
        for i, s in enumerate(scenarios):
            exp = []
            if s.kind == "fires":
                labels = {**s.labels, "severity": severity}
                for k, v in rule["labels"].items():
                    if k != "severity":
                        labels.setdefault(k, v)
                exp = [{"exp_labels": labels,
                        "exp_annotations": {k: expand(v, labels) for k, v in rule["annotations"].items()}}]
            tests.append({
                "name": f"{name} {s.kind} #{i}",
                "interval": "1m",
                "input_series": [{"series": k, "values": v} for k, v in s.series.items()],
                "alert_rule_test": [{"eval_time": s.at, "alertname": name, "exp_alerts": exp}],
            })
    return tests


@pytest.fixture(params=sorted(CONFIGS))
def rendered(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Config, Path]:
    cfg = CONFIGS[request.param]()
    render_to(tmp_path / "set", cfg, f"{request.param}.toml")
    return cfg, tmp_path / "set"


def test_every_alert_has_a_unit_test(rendered: tuple[Config, Path]) -> None:
    cfg, out = rendered
    alerts = rules_of(out)
    named = cases(cfg)
    assert sorted(set(alerts) - set(named)) == [], "alerts without a promtool unit test"
    assert sorted(set(named) - set(alerts)) == [], "unit tests for alerts that no longer exist"


def test_every_alert_is_tested_on_both_sides(rendered: tuple[Config, Path]) -> None:
    cfg, out = rendered
    alerts = rules_of(out)
    for name, (severity, scenarios) in cases(cfg).items():
        kinds = {s.kind for s in scenarios}
        assert "fires" in kinds, name
        assert alerts[name]["labels"]["severity"] == severity, name
        if name != "Watchdog":
            assert "below" in kinds, f"{name}: no scenario just below the threshold"
        if alerts[name].get("for", "0s") not in ("0s", "1m"):
            assert "before" in kinds, f"{name}: no scenario before `for` ({alerts[name]['for']}) elapses"


def test_promtool_unit_tests_pass(rendered: tuple[Config, Path], tmp_path: Path) -> None:
    cfg, out = rendered
    promtool = tool("promtool")
    rules = out / "prometheus" / "rules"
    tests = promtool_tests(cfg, rules_of(out))
    # SLO alerts read only their own recording rules; the others never read the SLO file. Loading each
    # file only where it is needed keeps promtool from evaluating 3-day windows for every other test.
    slo = [t for t in tests if "ErrorBudgetBurn" in t["name"]]
    runs = [([str(rules / "cflex-alerts.yml"), str(rules / "cflex-recording.yml")],
             [t for t in tests if t not in slo]), ([str(rules / "cflex-slos.yml")], slo)]
    for i, (rule_files, group) in enumerate(runs):
        if not group:
            continue
        spec = {"rule_files": rule_files, "evaluation_interval": "1m", "tests": group}
        test_file = tmp_path / f"alerts-{i}.test.yml"
        test_file.write_text(yaml.safe_dump(spec, sort_keys=False))
        r = run([promtool, "test", "rules", str(test_file)], timeout=600)
        assert r.returncode == 0, (r.stdout + r.stderr)[-8000:]
        assert "SUCCESS" in r.stdout + r.stderr


def test_scenario_times_respect_for(rendered: tuple[Config, Path]) -> None:
    """A firing scenario is evaluated after its alert's `for`, a `before` one before it (sanity of the cases)."""
    cfg, out = rendered
    alerts = rules_of(out)

    def mins(text: str) -> float:
        return float(text.removesuffix("m"))

    for name, (_, scenarios) in cases(cfg).items():
        f = alerts[name].get("for", "0s")
        for_min = 0.0 if f == "0s" else _seconds(f) / 60
        for s in scenarios:
            if s.kind == "fires":
                assert mins(s.at) >= for_min, (name, s)
            if s.kind == "before":
                assert s.start <= mins(s.at) < s.start + max(for_min, 1), (name, s)


def _seconds(text: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    value = float(text[:-1]) * units[text[-1]]
    assert duration(value) == text
    return value

