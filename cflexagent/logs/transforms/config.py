"""Config of the transforms: ``[logs.redact]`` and ``[[logs.metrics]]``.

``LogsConfig`` (``logs/config.py``) embeds them. Light module: msgspec +
stdlib only. Everything is validated here; ``redact.py`` and ``derive.py``
precompile the rest when a transform is built.
"""

from __future__ import annotations

import itertools
import re
from typing import Literal

import msgspec

from ...configtypes import Section, Size

FieldAction = Literal["drop", "mask", "hash"]
PatternAction = Literal["mask", "hash"]
PatternName = Literal["email", "phone", "card", "secret", "ip", "names"]

#: Keys whose values are personal data (names, phone numbers, emails, addresses).
DEFAULT_FIELDS: tuple[str, ...] = (
    "name", "customer_name", "full_name", "first_name", "last_name", "contact_name",
    "phone", "phone_number", "mobile", "mobile_number", "whatsapp", "whatsapp_number",
    "email", "email_address", "address", "street_address",
)
#: Keys never scanned: the IDs and measurements ops need.
DEFAULT_ALLOW_FIELDS: tuple[str, ...] = (
    "ts", "level", "service", "action", "request_id", "order_id", "file_id", "duration_ms", "status",
)
#: Query parameters whose values are credentials in signed URLs.
DEFAULT_SECRET_PARAMS: tuple[str, ...] = (
    "signature", "sig", "token", "x-amz-signature", "x-amz-credential", "x-amz-security-token",
    "key", "api_key", "apikey", "access_token", "refresh_token", "password", "client_secret",
)
DEFAULT_PATTERNS: tuple[PatternName, ...] = ("email", "phone", "card", "secret", "names")

_RULE_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_FIELD_PATH = re.compile(r"[^.\s]+(\.[^.\s]+)*")


class RedactRule(Section):
    """An extra pattern: every match of ``regex`` becomes ``<redacted:NAME>`` (or its hash)."""

    name: str
    regex: re.Pattern[str]

    def __post_init__(self) -> None:
        if not _RULE_NAME.fullmatch(self.name):
            raise ValueError(f'name: expected lower-case letters, digits and "_" (max 32), got "{self.name}"')
        if self.regex.search("") is not None:
            raise ValueError(f"regex: {self.regex.pattern!r} matches the empty string")


class RedactConfig(Section):
    enabled: bool = True
    fields: list[str] = msgspec.field(default_factory=lambda: list(DEFAULT_FIELDS))
    field_action: FieldAction = "mask"
    field_actions: dict[str, FieldAction] = {}
    allow_fields: list[str] = msgspec.field(default_factory=lambda: list(DEFAULT_ALLOW_FIELDS))
    patterns: list[PatternName] = msgspec.field(default_factory=lambda: list(DEFAULT_PATTERNS))
    pattern_action: PatternAction = "mask"
    secret_params: list[str] = msgspec.field(default_factory=lambda: list(DEFAULT_SECRET_PARAMS))
    rules: list[RedactRule] = []
    #: Words and phrases the ``names`` pattern never takes for names (products, brands, staff aliases).
    names_allow: list[str] = []
    #: Names the ``names`` pattern takes wherever they stand capitalised, in no list or ambiguous.
    names_extra: list[str] = []
    #: The ``names`` pattern's second reading: a model trained on labelled log lines scores the words
    #: the rules left. False: the rules alone.
    names_model: bool = True
    hash_key_file: str = ""
    hash_length: int = 16

    def __post_init__(self) -> None:
        for key in (*self.fields, *self.field_actions, *self.allow_fields):
            if not _FIELD_PATH.fullmatch(key):
                raise ValueError(f'fields: not a field name or dotted path: "{key}"')
        if not 8 <= self.hash_length <= 64:
            raise ValueError(f"hash_length: expected 8..64 hex digits, got {self.hash_length}")
        names = [r.name for r in self.rules]
        dupes = sorted({n for n in names if names.count(n) > 1}
                       | (set(names) & {*DEFAULT_PATTERNS, "ip", "field", "name"}))
        if dupes:
            raise ValueError(f"rules: duplicate or reserved rule name {dupes[0]!r}")
        for key, words in (("names_allow", self.names_allow), ("names_extra", self.names_extra)):
            for w in words:
                if not w.strip() or len(w) > 100 or any(c.isdigit() for c in w):
                    raise ValueError(f'{key}: expected words without digits (max 100 characters), got "{w}"')
        for p in self.secret_params:
            if not p or any(c in p for c in "=& \t"):
                raise ValueError(f'secret_params: not a query parameter name: "{p}"')


class MetricMatch(Section):
    """Conditions on a record; all must hold."""

    #: field (dotted path) -> exact value, compared as text ("200" matches the number 200).
    equals: dict[str, str] = {}
    #: field -> regex searched in the value's text.
    regex: dict[str, re.Pattern[str]] = {}


class LabelBins(Section):
    """A label from a number: the name of the first bin whose upper bound the field's value does not exceed
    (``names`` has one more entry than ``le``: the last takes what is above every bound). A record without
    a number there gets "unknown"."""

    field: str
    #: Upper bounds, strictly increasing: integers, or sizes like "50MiB".
    le: list[Size]
    names: list[str]

    def __post_init__(self) -> None:
        bounds = [float(b) for b in self.le]
        if not bounds or any(b >= c for b, c in itertools.pairwise(bounds)):
            raise ValueError("le: one or more upper bounds, strictly increasing")
        if len(self.names) != len(bounds) + 1:
            raise ValueError(f"names: {len(bounds) + 1} names for {len(bounds)} bounds (one more: above them all)")
        if len(set(self.names)) != len(self.names) or "unknown" in self.names or not all(self.names):
            raise ValueError('names: distinct, non-empty, and not "unknown" (the value of a record without one)')


class LogMetricConfig(Section):
    name: str
    type: Literal["counter", "gauge", "histogram"]
    help: str = ""
    #: Source names this metric reads; empty means every source.
    sources: list[str] = []
    match: MetricMatch = msgspec.field(default_factory=lambda: MetricMatch())
    #: Field holding the value (histogram/gauge: required; counter: the increment, default 1).
    value_field: str = ""
    scale: float = 1.0
    #: Fields whose values become labels; label name = field name ("." -> "_").
    labels: list[str] = []
    #: Labels from numbers, label name -> bins, e.g. ``{ size_class = { field = "file_size_bytes",
    #: le = ["50MiB"], names = ["le_50mb", "gt_50mb"] } }`` (bounded series: one per bin name).
    label_bins: dict[str, LabelBins] = {}
    buckets: list[float] = []
    max_series: int = 100

    def __post_init__(self) -> None:
        if not _METRIC_NAME.fullmatch(self.name):
            raise ValueError(f'name: not a Prometheus metric name: "{self.name}"')
        if self.type == "counter" and not self.name.endswith("_total"):
            raise ValueError(f'name: a counter name must end in "_total", got "{self.name}"')
        if self.type != "counter" and self.name.endswith("_total"):
            raise ValueError(f'name: only counters end in "_total", got "{self.name}"')
        if self.type in ("gauge", "histogram") and not self.value_field:
            raise ValueError(f"value_field: required for a {self.type}")
        if self.buckets and self.type != "histogram":
            raise ValueError("buckets: only histograms have buckets")
        if self.buckets and any(b >= c for b, c in zip(self.buckets, self.buckets[1:], strict=False)):
            raise ValueError("buckets: must be strictly increasing")
        if not 1 <= self.max_series <= 10000:
            raise ValueError(f"max_series: expected 1..10000, got {self.max_series}")
        seen: set[str] = set()
        for f in self.labels:
            label = f.replace(".", "_")
            if not _LABEL_NAME.fullmatch(label) or label.startswith("__") or label in ("le", "quantile"):
                raise ValueError(f'labels: "{f}" does not make a valid label name')
            if label in seen:
                raise ValueError(f'labels: duplicate label "{label}"')
            seen.add(label)
        for label in self.label_bins:
            if not _LABEL_NAME.fullmatch(label) or label.startswith("__") or label in ("le", "quantile"):
                raise ValueError(f'label_bins: "{label}" is not a valid label name')
            if label in seen:
                raise ValueError(f'label_bins: "{label}" is also in labels')
        if self.scale != self.scale or self.scale in (float("inf"), float("-inf")):
            raise ValueError("scale: must be a finite number")


def check_metric_names(metrics: list[LogMetricConfig]) -> None:
    """Raise ``ValueError("metrics[i].name: ...")`` on duplicate names."""
    seen: set[str] = set()
    for i, m in enumerate(metrics):
        if m.name in seen:
            raise ValueError(f'metrics[{i}].name: duplicate metric name "{m.name}"')
        seen.add(m.name)
