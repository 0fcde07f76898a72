"""SLO recording rules and multi-window multi-burn-rate alerts, in the shape Sloth generates.

For each ``[[render.slos]]`` (or the design's four SLOs): recording rules
``slo:sli_error:ratio_rate<window>`` (the share of bad events), ``slo:sli_events:increase<window>``
(how many events there were), ``slo:objective:ratio`` and ``slo:error_budget:ratio``,
all labelled ``slo="<name>"``; and two alerts (Google SRE workbook, ch. 5):

- page (severity critical): 1h and 5m above 14.4x the budget burn, or 6h and 30m above 6x;
- ticket (severity warning): 1d and 2h above 3x, or 3d and 6h above 1x.

Each window pair also needs ``min_events`` events in its long window, so one
error in three requests at night never pages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .common import RenderContext, duration, number

if TYPE_CHECKING:
    from .config import SLOConfig

WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
#: (long window, short window, burn-rate factor)
PAGE = (("1h", "5m", 14.4), ("6h", "30m", 6.0))
TICKET = (("1d", "2h", 3.0), ("3d", "6h", 1.0))


def camel(name: str) -> str:
    """"api-latency" -> "ApiLatency"."""
    return "".join(p[:1].upper() + p[1:] for p in name.split("-"))


def _matchers(*parts: str) -> str:
    inner = ",".join(p for p in parts if p)
    return "{" + inner + "}" if inner else ""


def _le(threshold: float) -> str:
    """Both spellings of a bucket bound: Go clients write le="3", Python's prometheus_client le="3.0"."""
    text = number(threshold)
    if "." in text or "e" in text:
        return f'le="{text}"'
    return f'le=~"{text}|{text}\\\\.0"'


def counter_of(slo: SLOConfig) -> str:
    """The event counter: a ``*_total`` counter itself, else the histogram's ``_count``."""
    return slo.metric if slo.metric.endswith("_total") else f"{slo.metric}_count"


def error_ratio(slo: SLOConfig, window: str) -> str:
    total = f"sum(rate({counter_of(slo)}{_matchers(slo.selector)}[{window}]))"
    if slo.type == "latency":
        good = f"sum(rate({slo.metric}_bucket{_matchers(slo.selector, _le(float(slo.threshold)))}[{window}]))"
        return f"1 - ({good} / {total})"
    bad = f"sum(rate({counter_of(slo)}{_matchers(slo.selector, slo.error_selector)}[{window}]))"
    return f"{bad} / {total}"


def _burn(slo: SLOConfig, pairs: tuple[tuple[str, str, float], ...], budget: float) -> str:
    sel = f'{{slo="{slo.name}"}}'
    terms = []
    for long, short, factor in pairs:
        limit = f"{number(factor)} * {number(budget)}"
        terms.append(f"(slo:sli_error:ratio_rate{short}{sel} > {limit} and slo:sli_error:ratio_rate{long}{sel} "
                     f"> {limit} and slo:sli_events:increase{long}{sel} >= {slo.min_events})")
    return " or ".join(terms)


def slo_rules(ctx: RenderContext, slo: SLOConfig) -> dict[str, Any]:
    budget = round(1.0 - float(slo.objective), 10)
    labels = {"slo": slo.name}
    rules: list[dict[str, Any]] = []
    for w in WINDOWS:
        rules.append({"record": f"slo:sli_error:ratio_rate{w}", "expr": error_ratio(slo, w), "labels": labels})
        rules.append({"record": f"slo:sli_events:increase{w}",
                      "expr": f"sum(increase({counter_of(slo)}{_matchers(slo.selector)}[{w}]))", "labels": labels})
    rules.append({"record": "slo:objective:ratio", "expr": f"vector({number(float(slo.objective))})",
                  "labels": labels})
    rules.append({"record": "slo:error_budget:ratio", "expr": f"vector({number(budget)})", "labels": labels})
    what = slo.description or slo.name
    objective = f"{number(round(float(slo.objective) * 100, 4))}%"
    for kind, pairs, severity, for_ in (("Fast", PAGE, "critical", slo.page_for),
                                        ("Slow", TICKET, "warning", slo.ticket_for)):
        name = f"{camel(slo.name)}ErrorBudgetBurn{kind}"
        speed = "fast (page: 1h/5m at 14.4x, 6h/30m at 6x)" if kind == "Fast" else \
            "steadily (ticket: 1d/2h at 3x, 3d/6h at 1x)"
        alert: dict[str, Any] = {"alert": name, "expr": _burn(slo, pairs, budget)}
        if for_:
            alert["for"] = duration(for_)
        alert["labels"] = {"severity": severity, "slo": slo.name}
        alert["annotations"] = {
            "summary": f"SLO {slo.name} is burning its error budget {'fast' if kind == 'Fast' else 'steadily'}",
            "description": f"{what}: objective {objective}; the error budget burns {speed}.",
            # One runbook section for every SLO's alert of this kind (SLO names come from the config).
            "runbook_url": ctx.runbook_url(f"SLO error budget burn ({kind.lower()})"),
            "dashboard": ctx.dashboard_url("cflex-app"),
        }
        rules.append(alert)
    return {"name": f"cflex-slo-{slo.name}", "rules": rules}


def slo_groups(ctx: RenderContext) -> list[dict[str, Any]]:
    return [slo_rules(ctx, s) for s in ctx.render.slo_list]
