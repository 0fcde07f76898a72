"""Panel specs -> Grafana dashboard JSON, built with Grafana's own grafana-foundation-sdk builders.

A dashboard here is rows of small panel specs (title, queries, unit,
thresholds); this module lays them out on Grafana's 24-column grid, numbers
panels and query refIds, and lets the SDK produce the JSON model. A panel with
thresholds is green below the first and takes each step's colour from its
value on; stats and bar gauges are coloured by them, time series draw them as
dashed lines.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from grafana_foundation_sdk.builders import (
    bargauge,
    common,
    dashboard,
    logs,
    loki,
    prometheus,
    stat,
    statetimeline,
    table,
    text,
    timeseries,
)
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.common import GraphTresholdsStyleMode
from grafana_foundation_sdk.models.dashboard import DataSourceRef, FieldColorModeId, GridPos, Threshold, ThresholdsMode
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

from ..common import DS_LOKI, DS_PROMETHEUS

Kind = Literal["timeseries", "stat", "table", "state", "bargauge", "logs", "text"]


@dataclass(frozen=True)
class Q:
    expr: str
    legend: str = ""
    instant: bool = False


@dataclass(frozen=True)
class P:
    kind: Kind
    title: str
    queries: tuple[Q, ...] = ()
    unit: str = ""
    w: int = 12
    h: int = 8
    description: str = ""
    content: str = ""
    min: float | None = None
    max: float | None = None
    #: (value, colour) steps above the green base, ascending: a target and what missing it looks like.
    thresholds: tuple[tuple[float, str], ...] = ()


@dataclass(frozen=True)
class Var:
    name: str
    query: str
    loki: bool = False
    label: str = ""


@dataclass(frozen=True)
class Board:
    uid: str
    title: str
    description: str
    rows: tuple[tuple[str, tuple[P, ...]], ...]
    variables: tuple[Var, ...] = ()
    tags: tuple[str, ...] = field(default=("cflex",))


_PROM = DataSourceRef(type_val="prometheus", uid=DS_PROMETHEUS)
_LOKI = DataSourceRef(type_val="loki", uid=DS_LOKI)
_BUILDERS: dict[str, Any] = {
    "timeseries": timeseries.Panel, "stat": stat.Panel, "table": table.Panel, "state": statetimeline.Panel,
    "bargauge": bargauge.Panel, "logs": logs.Panel, "text": text.Panel,
}


def _panel(spec: P, pid: int, pos: GridPos) -> Any:
    b = _BUILDERS[spec.kind]().id(pid).title(spec.title).grid_pos(pos)
    if spec.description:
        b = b.description(spec.description)
    if spec.kind == "text":
        return b.content(spec.content).mode("markdown")
    is_logs = spec.kind == "logs"
    b = b.datasource(_LOKI if is_logs else _PROM)
    if spec.unit:
        b = b.unit(spec.unit)
    if spec.min is not None:
        b = b.min(spec.min)
    if spec.max is not None:
        b = b.max(spec.max)
    if spec.thresholds:
        steps = [Threshold(None, "green"), *(Threshold(float(v), c) for v, c in spec.thresholds)]
        b = b.thresholds(dashboard.ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps(steps))
        if spec.kind == "timeseries":
            b = b.thresholds_style(common.GraphThresholdsStyleConfig().mode(GraphTresholdsStyleMode.DASHED))
        else:
            b = b.color_scheme(dashboard.FieldColor().mode(FieldColorModeId.THRESHOLDS))
    for i, q in enumerate(spec.queries):
        ref = chr(ord("A") + i)
        if is_logs:
            b = b.with_target(loki.Dataquery().expr(q.expr).ref_id(ref).datasource(_LOKI))
            continue
        t = prometheus.Dataquery().expr(q.expr).ref_id(ref).datasource(_PROM)
        if q.legend:
            t = t.legend_format(q.legend)
        if q.instant:
            t = t.instant().format(PromQueryFormat.TABLE)
        b = b.with_target(t)
    return b


def build(board: Board) -> dict[str, Any]:
    d = (dashboard.Dashboard(board.title).uid(board.uid).description(board.description).tags(list(board.tags))
         .refresh("1m").time("now-6h", "now").timezone("browser").editable())
    for v in board.variables:
        var = (dashboard.QueryVariable(v.name).label(v.label or v.name).query(v.query)
               .datasource(_LOKI if v.loki else _PROM).include_all(True).multi(True).all_value(".*"))
        d = d.with_variable(var)
    pid, y = 1, 0
    for row_title, panels in board.rows:
        d = d.with_row(dashboard.Row(row_title).id(pid).grid_pos(GridPos(h=1, w=24, x=0, y=y)))
        pid, y = pid + 1, y + 1
        x, row_h = 0, 0
        for spec in panels:
            if x + spec.w > 24:
                x, y, row_h = 0, y + row_h, 0
            d = d.with_panel(_panel(spec, pid, GridPos(h=spec.h, w=spec.w, x=x, y=y)))
            pid, x, row_h = pid + 1, x + spec.w, max(row_h, spec.h)
        y += row_h
    model: dict[str, Any] = json.loads(JSONEncoder(sort_keys=True).encode(d.build()))
    # Grafana's model always has these lists; the SDK leaves empty objects when nothing was added.
    for key in ("templating", "annotations"):
        model.setdefault(key, {}).setdefault("list", [])
    return model
