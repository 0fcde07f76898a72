"""alertmanager.yml, its notification template, and Debian's /etc/default/prometheus-alertmanager.

Alertmanager 0.25 configuration: https://prometheus.io/docs/alerting/0.25/configuration/

Routes: the Watchdog goes to the relay (recorded for heartbeats, ``watchdog.py``)
and the dead-man's switch; critical goes to the agent's alert relay (email
first, WhatsApp proxy as fallback, which Alertmanager itself cannot do) when
``[alerts.relay]`` is enabled, else
straight to email; warning goes to email; info goes to a low-noise digest (one
mail per group per ``digest_interval``). Critical inhibits warning for the
same instance (and probe), the same job's service-level alerts, or the same SLO
(``inhibit_rules``). Maintenance windows are ``time_intervals`` muted
on the routes of the severities they name.

The relay's webhook goes to the agent's own address, authenticated with the
relay's bearer token or, without one, with the agent's basic auth, and
verifying the agent's TLS certificate as Prometheus' scrape job of the agent
does: both take ``RenderContext.agent_client``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .common import Files, RenderContext, duration, to_yaml
from .prometheus import env_file

ALERTMANAGER_YML = "alertmanager/alertmanager.yml"
TEMPLATE = "alertmanager/cflex-templates/cflex.tmpl"
DEFAULTS = "default/prometheus-alertmanager"

# A Go template for Alertmanager (text/template), shipped as the file it is.
TEMPLATE_TEXT = """{{ define "cflex.subject" -}}
[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] \
{{ .CommonLabels.severity }}: {{ .CommonLabels.alertname }}{{ if .CommonLabels.instance }} on \
{{ .CommonLabels.instance }}{{ end }}
{{- end }}

{{ define "cflex.text" -}}
{{ range .Alerts -}}
{{ .Status | toUpper }}: {{ .Annotations.summary }}
{{ .Annotations.description }}
Started: {{ .StartsAt }}
Labels:{{ range .Labels.SortedPairs }} {{ .Name }}={{ .Value }}{{ end }}
Runbook: {{ .Annotations.runbook_url }}
Dashboard: {{ .Annotations.dashboard }}

{{ end -}}
{{- end }}
"""


def relay_url(ctx: RenderContext) -> str | None:
    """The relay's webhook on the agent's own address (Alertmanager runs on the same VPS). Never
    ``public_url``: that is where people open links, and the reverse proxy does not serve the webhook."""
    relay = ctx.config.alerts.relay
    if relay is None or not relay.enabled:
        return None
    return f"{ctx.agent_scheme}://{ctx.agent_address}{relay.path}"


def _email(to: list[str]) -> dict[str, Any]:
    return {"to": ", ".join(to), "send_resolved": True,
            "headers": {"Subject": '{{ template "cflex.subject" . }}'}, "text": '{{ template "cflex.text" . }}'}


def receivers(ctx: RenderContext) -> list[dict[str, Any]]:
    am = ctx.render.alertmanager
    out: list[dict[str, Any]] = [{"name": "email", "email_configs": [_email(list(am.email_to))]}]
    url = relay_url(ctx)
    hook: dict[str, Any] | None = None
    if url:
        hook = {"url": url, "send_resolved": True}
        relay = ctx.config.alerts.relay
        token = relay.bearer_token_file if relay is not None else ""
        # With a token the relay needs no basic auth (and Alertmanager sends one Authorization header).
        http = ctx.agent_client(basic_auth=not token)
        if token:
            http = {"authorization": {"type": "Bearer", "credentials_file": str(token)}, **http}
        if http:
            hook["http_config"] = http
        out.append({"name": "critical", "webhook_configs": [hook]})
    else:
        out.append({"name": "critical", "email_configs": [_email(list(am.email_to))]})
    out.append({"name": "digest", "email_configs": [_email(list(am.info_email_to or am.email_to))]})
    # The Watchdog goes to the relay (which records it for [[heartbeats]] require_watchdog, cflexagent/watchdog.py)
    # and to the external dead-man's switch when one is given.
    watchdog: dict[str, Any] = {"name": "watchdog"}
    hooks = [{**hook, "send_resolved": False}] if hook is not None else []
    if am.watchdog_url_file:
        hooks.append({"url": read_secret(am.watchdog_url_file, "alertmanager.watchdog_url_file"),
                      "send_resolved": False})
    if hooks:
        watchdog["webhook_configs"] = hooks
    out.append(watchdog)
    return out


class SecretFileError(Exception):
    """A *_file the renderer must read cannot be read (the message names the key, never the content)."""


def read_secret(path: str, key: str) -> str:
    try:
        value = Path(path).read_text(encoding="utf-8").strip()
    except OSError as e:
        raise SecretFileError(f"render.{key}: cannot read {path}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise SecretFileError(f"render.{key}: {path} is not UTF-8 text") from None
    if not value.startswith(("http://", "https://")) or any(c.isspace() for c in value):
        raise SecretFileError(f"render.{key}: {path} must hold one http(s) URL")
    return value


def _mute(ctx: RenderContext, severity: str) -> dict[str, Any]:
    names = [m.name for m in ctx.render.alertmanager.maintenance if severity in m.severities]
    return {"mute_time_intervals": names} if names else {}


def route(ctx: RenderContext) -> dict[str, Any]:
    am = ctx.render.alertmanager
    return {
        "receiver": "email",
        "group_by": ["alertname", "job", "instance"],
        "group_wait": duration(am.group_wait),
        "group_interval": duration(am.group_interval),
        "repeat_interval": duration(am.repeat_interval),
        "routes": [
            {"receiver": "watchdog", "matchers": ['alertname="Watchdog"'], "group_wait": "0s",
             "group_interval": duration(am.watchdog_repeat_interval),
             "repeat_interval": duration(am.watchdog_repeat_interval)},
            {"receiver": "critical", "matchers": ['severity="critical"'],
             "repeat_interval": duration(am.critical_repeat_interval), **_mute(ctx, "critical")},
            {"receiver": "email", "matchers": ['severity="warning"'], **_mute(ctx, "warning")},
            {"receiver": "digest", "matchers": ['severity="info"'], "group_by": ["severity"],
             "group_wait": "5m", "group_interval": duration(am.digest_interval),
             "repeat_interval": duration(am.digest_interval), **_mute(ctx, "info")},
        ],
    }


def time_intervals(ctx: RenderContext) -> list[dict[str, Any]]:
    out = []
    for m in ctx.render.alertmanager.maintenance:
        ti: dict[str, Any] = {}
        if m.times:
            ti["times"] = [{"start_time": t[:5], "end_time": t[6:]} for t in m.times]
        for key in ("weekdays", "days_of_month", "months", "years"):
            if getattr(m, key):
                ti[key] = [v.lower() for v in getattr(m, key)]
        if m.location:
            ti["location"] = m.location
        out.append({"name": m.name, "time_intervals": [ti]})
    return out


def inhibit_rules() -> list[dict[str, Any]]:
    """Critical inhibits warning only where both are about the same thing.

    Alertmanager counts a label missing on both sides as equal, so every rule's
    source names the label it is about (``=~".+"``): without that, a critical
    alert without ``instance`` (an SLO burn, HTTPErrorRateHigh) would inhibit
    every warning without ``instance`` (MoverFailRateHigh, PreviewSlow, slow SLO
    burns) whatever their job.

    - a target (``instance``, and ``probe`` for the agent's probes): its warnings;
    - a service-level alert (no ``instance``; ``job``, ``service``): the same job's
      service-level warnings;
    - an SLO's fast burn: the same SLO's slow burn.
    """
    crit, warn = 'severity="critical"', 'severity="warning"'
    rules = [
        ([crit, 'instance=~".+"'], [warn], ["instance", "probe"]),
        ([crit, 'instance=""', 'job=~".+"'], [warn, 'instance=""'], ["job", "service"]),
        ([crit, 'slo=~".+"'], [warn], ["slo"]),
    ]
    # Sorted by label name, as Alertmanager echoes them in /api/v2/status (which `apply` compares).
    return [{"source_matchers": sorted(src), "target_matchers": sorted(dst), "equal": equal}
            for src, dst, equal in rules]


def alertmanager_yml(ctx: RenderContext) -> dict[str, Any]:
    am = ctx.render.alertmanager
    glob: dict[str, Any] = {
        "resolve_timeout": "5m",
        "smtp_smarthost": am.smtp_smarthost,
        "smtp_from": am.smtp_from,
        "smtp_hello": am.smtp_hello,
        "smtp_require_tls": am.smtp_require_tls,
    }
    if am.smtp_auth_username:
        glob["smtp_auth_username"] = am.smtp_auth_username
    if am.smtp_auth_password_file:
        glob["smtp_auth_password_file"] = am.smtp_auth_password_file
    data: dict[str, Any] = {
        "global": glob,
        # Relative to this file's directory.
        "templates": ["cflex-templates/*.tmpl"],
        "route": route(ctx),
        "inhibit_rules": inhibit_rules(),
        "receivers": receivers(ctx),
    }
    intervals = time_intervals(ctx)
    if intervals:
        data["time_intervals"] = intervals
    return data


def alertmanager_args(ctx: RenderContext) -> list[str]:
    r = ctx.render
    am = r.alertmanager
    return [
        f"--config.file={r.paths.alertmanager_dir.rstrip('/')}/alertmanager.yml",
        f"--storage.path={am.data_dir}",
        f"--web.listen-address={am.listen}",
        f"--web.external-url={ctx.alertmanager_url}",
        "--web.route-prefix=/",
        # One instance on one VPS: no gossip port listening on every address.
        "--cluster.listen-address=",
    ]


def render(ctx: RenderContext) -> Files:
    note = "" if relay_url(ctx) else (
        "[alerts.relay] is not enabled: critical alerts go straight to email (no WhatsApp fallback).")
    return {
        ALERTMANAGER_YML: to_yaml(ctx, alertmanager_yml(ctx), note=note),
        TEMPLATE: (ctx.header("{{/*", " */}}") + TEMPLATE_TEXT).encode(),
        DEFAULTS: env_file(ctx, alertmanager_args(ctx), "prometheus-alertmanager"),
    }
