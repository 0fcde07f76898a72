"""prometheus.yml, its command-line flags (Debian's /etc/default/prometheus), web-config.yml,
and the optional long-term instance that federates the recording rules.

Prometheus 2.42 configuration: https://prometheus.io/docs/prometheus/2.42/configuration/configuration/
Debian runs ``/usr/bin/prometheus $ARGS`` with ``ARGS`` from ``/etc/default/prometheus``
(a systemd EnvironmentFile: the value is split on spaces, so no flag may contain one).
"""

from __future__ import annotations

from typing import Any

from .common import Files, RenderContext, duration, shell_words_ok, to_yaml

PROMETHEUS_YML = "prometheus/prometheus.yml"
WEB_CONFIG = "prometheus/web-config.yml"
LONGTERM_YML = "prometheus/longterm.yml"
DEFAULTS = "default/prometheus"
LONGTERM_UNIT = "systemd/prometheus-longterm.service"


def _static(target: str, job: str, **extra: Any) -> dict[str, Any]:
    return {"job_name": job, **extra, "static_configs": [{"targets": [target]}]}


def self_client(ctx: RenderContext) -> dict[str, Any]:
    """How a client reaches this Prometheus through its web-config: its own scrape job and the long-term
    instance's federation share it. With TLS, the certificate Prometheus serves is the one trusted (it
    must name the listen host); with web_users, self_username and self_password_file."""
    p = ctx.render.prometheus
    out: dict[str, Any] = {}
    if p.web_tls_cert_file:
        out["scheme"] = "https"
        out["tls_config"] = {"ca_file": p.web_tls_cert_file}
    if p.web_users:
        out["basic_auth"] = {"username": p.self_username, "password_file": p.self_password_file}
    return out


def scrape_configs(ctx: RenderContext) -> list[dict[str, Any]]:
    r = ctx.render
    p = r.prometheus
    jobs: list[dict[str, Any]] = []
    jobs.append(_static(str(p.listen), "prometheus", **self_client(ctx)))
    jobs.append(_static(str(r.alertmanager.listen), "alertmanager"))
    jobs.append(_static(ctx.agent_address, "cflexagent", scheme=ctx.agent_scheme, **ctx.agent_client()))
    s = r.scrape
    for name in ("node_exporter", "mysqld_exporter", "redis_exporter", "loki", "grafana"):
        target = getattr(s, name)
        if target:
            jobs.append(_static(target, name))
    for app in r.apps:
        job: dict[str, Any] = {"job_name": app.name}
        if app.scrape_interval:
            job["scrape_interval"] = duration(app.scrape_interval)
        if app.metrics_path != "/metrics":
            job["metrics_path"] = app.metrics_path
        if app.scheme != "http":
            job["scheme"] = app.scheme
        job["static_configs"] = [{"targets": list(app.targets)}]
        jobs.append(job)
    return jobs


def prometheus_yml(ctx: RenderContext) -> dict[str, Any]:
    r = ctx.render
    p = r.prometheus
    glob: dict[str, Any] = {
        "scrape_interval": duration(p.scrape_interval),
        "scrape_timeout": duration(p.scrape_timeout),
        "evaluation_interval": duration(p.evaluation_interval),
        "external_labels": {"monitor": ctx.config.agent.instance_name, **p.external_labels},
    }
    data: dict[str, Any] = {
        "global": glob,
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [str(r.alertmanager.listen)]}]}]},
        # Relative to this file's directory, where `apply` puts the rules next to it.
        "rule_files": ["rules/*.yml"],
        "scrape_configs": scrape_configs(ctx),
    }
    rw = r.remote_write
    if rw.url:
        target: dict[str, Any] = {"url": rw.url}
        if rw.basic_auth_username:
            target["basic_auth"] = {"username": rw.basic_auth_username, "password_file": rw.basic_auth_password_file}
        if rw.bearer_token_file:
            target["authorization"] = {"type": "Bearer", "credentials_file": rw.bearer_token_file}
        data["remote_write"] = [target]
    return data


def prometheus_args(ctx: RenderContext) -> list[str]:
    r = ctx.render
    p = r.prometheus
    live = r.paths.prometheus_dir.rstrip("/")
    args = [
        f"--config.file={live}/prometheus.yml",
        f"--storage.tsdb.path={p.data_dir}",
        f"--storage.tsdb.retention.time={duration(p.retention)}",
        f"--web.listen-address={p.listen}",
        # POST /-/reload, which `cflexagent apply` uses.
        "--web.enable-lifecycle",
        f"--web.external-url={ctx.prometheus_url}",
        # Served at / on its own port even when the proxy publishes it under /prometheus/.
        "--web.route-prefix=/",
    ]
    if p.web_config:
        args.append(f"--web.config.file={live}/web-config.yml")
    return args


def env_file(ctx: RenderContext, args: list[str], what: str) -> bytes:
    if not shell_words_ok(args):  # the config validators keep spaces and quotes out; a last guard
        raise ValueError(f"{what}: a flag contains a space or quote")
    return (ctx.header() + f"# Flags of {what}, read by its systemd unit (EnvironmentFile).\n"
            + f'ARGS="{" ".join(args)}"\n').encode()


def web_config(ctx: RenderContext) -> dict[str, Any]:
    p = ctx.render.prometheus
    out: dict[str, Any] = {}
    if p.web_tls_cert_file:
        out["tls_server_config"] = {"cert_file": p.web_tls_cert_file, "key_file": p.web_tls_key_file,
                                    "min_version": "TLS12"}
    if p.web_users:
        out["basic_auth_users"] = dict(sorted(p.web_users.items()))
    return out


def longterm_yml(ctx: RenderContext) -> dict[str, Any]:
    r = ctx.render
    lt = r.longterm
    p = r.prometheus
    fed: dict[str, Any] = {
        "job_name": "federate",
        "scrape_interval": duration(lt.scrape_interval),
        "scrape_timeout": duration(min(float(lt.scrape_interval), 60.0)),
        "honor_labels": True,
        "metrics_path": "/federate",
        "params": {"match[]": list(lt.match)},
    }
    fed.update(self_client(ctx))
    fed["static_configs"] = [{"targets": [str(p.listen)]}]
    return {
        "global": {"scrape_interval": duration(lt.scrape_interval),
                   "external_labels": {"monitor": ctx.config.agent.instance_name, "tier": "longterm",
                                       **p.external_labels}},
        "scrape_configs": [fed],
    }


def longterm_unit(ctx: RenderContext) -> bytes:
    from .systemd import unit

    r = ctx.render
    lt = r.longterm
    args = [f"--config.file={r.paths.prometheus_dir.rstrip('/')}/longterm.yml",
            f"--storage.tsdb.path={lt.data_dir}", f"--storage.tsdb.retention.time={duration(lt.retention)}",
            f"--web.listen-address={lt.listen}", "--web.enable-lifecycle"]
    return unit(ctx, {
        "Unit": [("Description", "Prometheus long-term (1y, federated recording rules)"),
                 ("Documentation", "https://prometheus.io/docs/prometheus/latest/federation/"),
                 ("After", "network-online.target prometheus.service")],
        "Service": [("User", "prometheus"), ("ExecStart", " ".join(["/usr/bin/prometheus", *args])),
                    ("ExecReload", "/bin/kill -HUP $MAINPID"), ("Restart", "on-failure"),
                    ("StateDirectory", "prometheus/longterm"), ("NoNewPrivileges", "yes"),
                    ("ProtectSystem", "full")],
        "Install": [("WantedBy", "multi-user.target")],
    })


def render(ctx: RenderContext) -> Files:
    files: Files = {
        PROMETHEUS_YML: to_yaml(ctx, prometheus_yml(ctx)),
        DEFAULTS: env_file(ctx, prometheus_args(ctx), "prometheus"),
    }
    if ctx.render.prometheus.web_config:
        files[WEB_CONFIG] = to_yaml(ctx, web_config(ctx))
    if ctx.render.longterm.enabled:
        files[LONGTERM_YML] = to_yaml(ctx, longterm_yml(ctx), note=(
            "The design's \"1 y downsampled\": a second Prometheus that federates only the recording rules\n"
            "every scrape_interval (at most 2m, below the 5m staleness) and keeps them for a year."))
        files[LONGTERM_UNIT] = longterm_unit(ctx)
    return files
