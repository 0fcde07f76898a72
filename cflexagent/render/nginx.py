"""The nginx site in front of Grafana, Prometheus and Alertmanager: TLS, HSTS, an IP allowlist for
admin paths and basic auth for Prometheus and Alertmanager; and of the agent, only the paths people
open from alert messages (``agent_prefixes``: the acknowledge pages).

Built as nested directive data and serialised by ``dump`` (every argument
quoted where nginx needs it), never by pasting text. nginx 1.22 syntax:
https://nginx.org/en/docs/http/ngx_http_core_module.html
"""

from __future__ import annotations

import re

from .common import Files, RenderContext, duration

#: A directive is (name, args) or, for a block, (name, args, children).
Directive = tuple[str, list[str]] | tuple[str, list[str], list["Directive"]]
_BARE = re.compile(r"[A-Za-z0-9_./:$\-\[\]=*~^@,+]+")


def quote(arg: str) -> str:
    if arg and _BARE.fullmatch(arg):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dump(directives: list[Directive], indent: int = 0) -> str:
    out = []
    pad = "    " * indent
    for d in directives:
        name, args = d[0], d[1]
        head = " ".join([name, *(quote(a) for a in args)])
        if len(d) == 3:
            out.append(f"{pad}{head} {{\n{dump(d[2], indent + 1)}{pad}}}\n")
        else:
            out.append(f"{pad}{head};\n")
    return "".join(out)


def _proxy(upstream: str) -> list[Directive]:
    return [
        ("proxy_pass", [upstream]),
        ("proxy_set_header", ["Host", "$host"]),
        ("proxy_set_header", ["X-Real-IP", "$remote_addr"]),
        ("proxy_set_header", ["X-Forwarded-For", "$proxy_add_x_forwarded_for"]),
        ("proxy_set_header", ["X-Forwarded-Proto", "$scheme"]),
    ]


def _admin(ctx: RenderContext) -> list[Directive]:
    return [*(("allow", [a]) for a in ctx.render.nginx.admin_allow), ("deny", ["all"])]


def _agent(ctx: RenderContext, prefix: str) -> list[Directive]:
    """Only ``prefix`` of the agent's HTTP server, at the same path. The URI in proxy_pass makes nginx send
    the normalised path it matched (never the client's raw ``/metrics/../alerts/ack/x``), so no other
    endpoint of the agent is reachable through it. With ``[server.tls]``, https to the agent: verified with
    ``[render.prometheus] agent_ca_file`` when set, checking ``[render.nginx] agent_ssl_name`` (nginx matches
    only DNS names of a certificate), else not verified (nginx reaches the agent on this host, usually on
    loopback)."""
    out = _proxy(f"{ctx.agent_scheme}://{ctx.agent_address}{prefix}")
    if ctx.config.server.tls:
        ca = ctx.render.prometheus.agent_ca_file
        host = ctx.render.nginx.agent_ssl_name or ctx.agent_address.rsplit(":", 1)[0].strip("[]")
        out += ([("proxy_ssl_verify", ["on"]), ("proxy_ssl_trusted_certificate", [ca]),
                 ("proxy_ssl_name", [host])] if ca else [("proxy_ssl_verify", ["off"])])
    return out


def agent_prefixes(ctx: RenderContext) -> list[str]:
    """The agent's paths the site publishes: the relay's acknowledge pages (links in messages point at
    ``{public_url}/alerts/ack/``) when the relay and acknowledgment are on, and the runbooks page the
    alerts link to unless ``[render] runbook_url`` points elsewhere."""
    alerts = ctx.config.alerts
    out = ["/alerts/ack/"] if alerts.active and alerts.ack.enabled else []
    if not ctx.render.runbook_url:
        out.append("/runbooks/")
    return out


def site(ctx: RenderContext) -> list[Directive]:
    r = ctx.render
    ng = r.nginx
    grafana = f"http://{r.grafana.listen}"
    security_headers: list[Directive] = [
        ("add_header", ["Strict-Transport-Security", f"max-age={int(ng.hsts_max_age)}; includeSubDomains", "always"]),
        ("add_header", ["X-Content-Type-Options", "nosniff", "always"]),
        ("add_header", ["X-Frame-Options", "DENY", "always"]),
        ("add_header", ["Referrer-Policy", "same-origin", "always"]),
    ]
    basic = [("auth_basic", ["Prometheus"]), ("auth_basic_user_file", [ng.htpasswd_file])]
    port = str(ng.listen_port)
    servers: list[Directive] = [
        # Grafana Live (websockets).
        ("map", ["$http_upgrade", "$cflex_connection_upgrade"], [("default", ["upgrade"]), ("''", ["close"])]),
    ]
    if ng.redirect_http:
        servers.append(("server", [], [
            ("listen", ["80"]), ("listen", ["[::]:80"]), ("server_name", [ng.server_name]),
            ("return", ["301", "https://$host$request_uri"]),
        ]))
    servers.append(("server", [], [
        ("listen", [port, "ssl", "http2"]),
        ("listen", [f"[::]:{port}", "ssl", "http2"]),
        ("server_name", [ng.server_name]),
        ("ssl_certificate", [ng.cert_file]),
        ("ssl_certificate_key", [ng.key_file]),
        ("ssl_protocols", ["TLSv1.2", "TLSv1.3"]),
        ("ssl_session_cache", ["shared:cflexmon:10m"]),
        ("ssl_session_timeout", ["1d"]),
        ("server_tokens", ["off"]),
        *security_headers,
        ("location", ["/"], _proxy(grafana)),
        ("location", ["/api/live/"], [*_proxy(grafana), ("proxy_http_version", ["1.1"]),
                                     ("proxy_set_header", ["Upgrade", "$http_upgrade"]),
                                     ("proxy_set_header", ["Connection", "$cflex_connection_upgrade"])]),
        ("location", ["^~", "/admin"], [*_admin(ctx), *_proxy(grafana)]),
        # Grafana's admin HTTP API (users, orgs, settings, provisioning reloads) is an admin path too.
        ("location", ["^~", "/api/admin/"], [*_admin(ctx), *_proxy(grafana)]),
        *(("location", ["^~", prefix], _agent(ctx, prefix)) for prefix in agent_prefixes(ctx)),
        ("location", ["^~", "/prometheus/"], [*_admin(ctx), *basic, *_proxy(f"http://{r.prometheus.listen}/")]),
        ("location", ["^~", "/alertmanager/"], [*_admin(ctx), *basic,
                                               *_proxy(f"http://{r.alertmanager.listen}/")]),
    ]))
    return servers


def site_path(ctx: RenderContext) -> str:
    return f"nginx/{ctx.render.nginx.site_name}"


def render(ctx: RenderContext) -> Files:
    if not ctx.render.nginx.enabled:
        return {}
    note = (f"# HSTS {duration(ctx.render.nginx.hsts_max_age)}; admin paths only from "
            f"{', '.join(ctx.render.nginx.admin_allow)}.\n")
    return {site_path(ctx): (ctx.header() + note + dump(site(ctx))).encode()}
