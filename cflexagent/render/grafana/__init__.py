"""Grafana: provisioned datasources (fixed uids), a dashboard provider, the dashboards, a grafana.ini fragment.

File provisioning: https://grafana.com/docs/grafana/latest/administration/provisioning/
Grafana reads provisioning at start and rescans the dashboard folder every
``updateIntervalSeconds``: `apply` needs no reload for dashboards.
"""

from __future__ import annotations

from typing import Any

from ..common import DS_ALERTMANAGER, DS_LOKI, DS_PROMETHEUS, Files, RenderContext, to_json, to_yaml

DATASOURCES = "grafana/provisioning/datasources/cflex.yml"
PROVIDER = "grafana/provisioning/dashboards/cflex.yml"
DASHBOARDS_DIR = "grafana/dashboards"
GRAFANA_INI = "grafana/grafana.ini"


def datasources(ctx: RenderContext) -> dict[str, Any]:
    r = ctx.render
    p = r.prometheus
    prom: dict[str, Any] = {
        "name": "Prometheus", "type": "prometheus", "uid": DS_PROMETHEUS, "access": "proxy",
        "url": f"{'https' if p.web_tls_cert_file else 'http'}://{p.listen}", "isDefault": True, "editable": False,
        "jsonData": {"timeInterval": f"{int(p.scrape_interval)}s", "httpMethod": "POST"},
    }
    if p.web_users:
        # Grafana expands $__file{...} at provisioning: the password never appears in this file.
        prom["basicAuth"] = True
        prom["basicAuthUser"] = p.self_username
        prom["secureJsonData"] = {"basicAuthPassword": f"$__file{{{p.self_password_file}}}"}
    return {
        "apiVersion": 1,
        "deleteDatasources": [],
        "datasources": [
            prom,
            {"name": "Loki", "type": "loki", "uid": DS_LOKI, "access": "proxy", "url": f"http://{r.loki.listen}",
             "editable": False, "jsonData": {"maxLines": 1000}},
            {"name": "Alertmanager", "type": "alertmanager", "uid": DS_ALERTMANAGER, "access": "proxy",
             "url": f"http://{r.alertmanager.listen}", "editable": False,
             "jsonData": {"implementation": "prometheus", "handleGrafanaManagedAlerts": False}},
        ],
    }


def provider(ctx: RenderContext) -> dict[str, Any]:
    return {"apiVersion": 1, "providers": [{
        "name": "cflex", "orgId": 1, "folder": ctx.render.grafana.folder, "type": "file",
        "disableDeletion": True, "allowUiUpdates": False, "updateIntervalSeconds": 60,
        "options": {"path": ctx.render.paths.grafana_dashboards_dir, "foldersFromFilesStructure": False},
    }]}


def grafana_ini(ctx: RenderContext) -> bytes:
    g = ctx.render.grafana
    url = ctx.grafana_url
    secure = url.startswith("https://")
    sections: dict[str, list[tuple[str, str]]] = {
        "server": [("http_addr", g.listen.host or "127.0.0.1"), ("http_port", str(g.listen.port)),
                   ("domain", url.split("/")[2].split(":")[0]), ("root_url", url)],
        "security": [("cookie_secure", str(secure).lower()), ("cookie_samesite", "strict"),
                     ("disable_gravatar", "true"), ("allow_embedding", "false"),
                     ("strict_transport_security", str(secure).lower())],
        "users": [("allow_sign_up", "false"), ("allow_org_create", "false"), ("auto_assign_org", "true"),
                  ("auto_assign_org_role", "Viewer"), ("viewers_can_edit", "false")],
        "auth.anonymous": [("enabled", "false")],
        "snapshots": [("external_enabled", "false")],
        "analytics": [("reporting_enabled", "false"), ("check_for_updates", "false")],
    }
    out = [ctx.header(";"), "; Merge into /etc/grafana/grafana.ini (Grafana reads one file).\n",
           "; Viewers by default: the design's read-only stakeholders; admins are promoted by hand.\n"]
    for name, items in sections.items():
        out.append(f"\n[{name}]\n")
        out.extend(f"{k} = {v}\n" for k, v in items)
    return "".join(out).encode()


def render(ctx: RenderContext) -> Files:
    from .builder import build
    from .dashboards import BOARDS

    files: Files = {
        DATASOURCES: to_yaml(ctx, datasources(ctx)),
        PROVIDER: to_yaml(ctx, provider(ctx)),
        GRAFANA_INI: grafana_ini(ctx),
    }
    for make in BOARDS:
        board = make(ctx)
        files[f"{DASHBOARDS_DIR}/{board.uid}.json"] = to_json(ctx, build(board))
    return files
