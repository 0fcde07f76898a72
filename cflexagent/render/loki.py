"""Loki 3.x single-binary config: filesystem storage, tsdb schema v13, compactor retention.

https://grafana.com/docs/loki/latest/configure/ ; sized for one small VPS and
listening on loopback only (the agent pushes from the same machine).
"""

from __future__ import annotations

from typing import Any

from .common import Files, RenderContext, duration, number, to_yaml

LOKI_YML = "loki/config.yml"

SHARDING_NOTE = """\
Automatic stream sharding (limits_config.shard_streams, on by default in Loki 3) splits a stream
that exceeds its rate across shard labels. A batch the agent re-sends after a crash can then land
in another shard than the first copy, where it is a visible duplicate instead of being merged.
One VPS pushes far below per_stream_rate_limit, so this file turns sharding off
([render.loki] shard_streams = false): a replay stays in its stream and Loki drops the copy."""


def loki_yml(ctx: RenderContext) -> dict[str, Any]:
    lk = ctx.render.loki
    d = lk.data_dir.rstrip("/")
    return {
        "auth_enabled": False,
        "server": {
            "http_listen_address": lk.listen.host or "127.0.0.1",
            "http_listen_port": lk.listen.port,
            "grpc_listen_address": lk.grpc_listen.host or "127.0.0.1",
            "grpc_listen_port": lk.grpc_listen.port,
            "log_level": "info",
        },
        "common": {
            "instance_addr": "127.0.0.1",
            "path_prefix": d,
            "storage": {"filesystem": {"chunks_directory": f"{d}/chunks", "rules_directory": f"{d}/rules"}},
            "replication_factor": 1,
            "ring": {"kvstore": {"store": "inmemory"}},
        },
        "schema_config": {"configs": [{
            "from": lk.schema_from, "store": "tsdb", "object_store": "filesystem", "schema": "v13",
            "index": {"prefix": "index_", "period": "24h"},
        }]},
        "storage_config": {"tsdb_shipper": {"active_index_directory": f"{d}/tsdb-index",
                                            "cache_location": f"{d}/tsdb-cache"}},
        "compactor": {
            "working_directory": f"{d}/compactor",
            "compaction_interval": "10m",
            "retention_enabled": True,
            "retention_delete_delay": "2h",
            "delete_request_store": "filesystem",
        },
        "limits_config": {
            "retention_period": duration(lk.retention),
            "ingestion_rate_mb": float(number(lk.ingestion_rate_mb)),
            "ingestion_burst_size_mb": float(number(lk.ingestion_burst_size_mb)),
            "per_stream_rate_limit": f"{number(lk.per_stream_rate_limit_mb)}MB",
            "max_global_streams_per_user": lk.max_global_streams_per_user,
            "max_query_series": lk.max_query_series,
            "reject_old_samples": True,
            "reject_old_samples_max_age": duration(lk.reject_old_samples_max_age),
            "allow_structured_metadata": True,
            "shard_streams": {"enabled": lk.shard_streams},
        },
        "ruler": {"alertmanager_url": f"http://{ctx.render.alertmanager.listen}"},
        "analytics": {"reporting_enabled": False},
    }


def index_dirs(ctx: RenderContext) -> list[str]:
    """Where this config keeps the tsdb index: the active directory and the shipped copies."""
    d = ctx.render.loki.data_dir.rstrip("/")
    return [f"{d}/tsdb-index", f"{d}/chunks/index"]


def render(ctx: RenderContext) -> Files:
    note = SHARDING_NOTE if not ctx.render.loki.shard_streams else \
        "Automatic stream sharding is on ([render.loki] shard_streams = true): a replayed batch may be duplicated."
    return {LOKI_YML: to_yaml(ctx, loki_yml(ctx), note=note)}
