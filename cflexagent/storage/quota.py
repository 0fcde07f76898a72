"""cPanel account quota via UAPI ``Quota::get_quota_info`` over HTTPS: the client and its poller.

Request: ``GET {url}/execute/Quota/get_quota_info`` with the header
``Authorization: cpanel {username}:{token}`` (cPanel API tokens). Answer (UAPI
over /execute): ``{"status": 1, "errors": null, "data": {"megabytes_used",
"megabyte_limit", "inodes_used", "inode_limit", ...}, ...}``; the ``uapi``
command line wraps the same object in ``{"result": ...}``, which is accepted
too. Numbers may arrive as JSON numbers or strings ("5.46"); cPanel's
"megabytes" are MiB (quota blocks of 1 KiB / 1024). A limit of 0 means
unlimited. The token is read from ``token_file`` for every request and never
logged. ``QuotaPoller`` is the component (``storage.quota``) that asks every
``interval`` and publishes the answer on the storage metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..telemetry import get_logger
from .config import QuotaConfig
from .metrics import StorageMetrics

if TYPE_CHECKING:
    from ..component import Context, Stage

log = get_logger("storage.quota")

MIB = 1024 * 1024


class QuotaError(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _number(data: dict[str, Any], key: str) -> float:
    v = data.get(key)
    if v is None or v == "":
        return 0.0
    if isinstance(v, bool):
        raise QuotaError("parse", f"{key}: expected a number, got {v!r}")
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.replace(",", ""))
        except ValueError:
            raise QuotaError("parse", f"{key}: expected a number, got {v[:40]!r}") from None
    raise QuotaError("parse", f"{key}: expected a number, got {type(v).__name__}")


def parse_quota(doc: Any) -> dict[str, float]:
    """UAPI answer -> used/limit bytes and inodes (raises QuotaError)."""
    if isinstance(doc, dict) and isinstance(doc.get("result"), dict):
        doc = doc["result"]
    if not isinstance(doc, dict):
        raise QuotaError("parse", "answer is not a JSON object")
    if doc.get("status") not in (1, "1", True):
        errors = doc.get("errors") or ["status is not 1"]
        raise QuotaError("api", f"UAPI error: {'; '.join(map(str, errors))[:300]}")
    data = doc.get("data")
    if not isinstance(data, dict):
        raise QuotaError("parse", "answer has no data object")
    return {
        "used_bytes": round(_number(data, "megabytes_used") * MIB),
        "limit_bytes": round(_number(data, "megabyte_limit") * MIB),
        "used_inodes": _number(data, "inodes_used"),
        "limit_inodes": _number(data, "inode_limit"),
    }


def ssl_context(cfg: QuotaConfig) -> ssl.SSLContext:
    """The client TLS context; a ca_file that cannot be loaded is QuotaError("config")."""
    ctx = ssl.create_default_context()
    if cfg.ca_file:
        try:
            ctx.load_verify_locations(cfg.ca_file)
        except ssl.SSLError as e:
            raise QuotaError("config", f"ca_file {cfg.ca_file} holds no usable PEM certificate "
                                       f"({e.reason or e})") from None
        except OSError as e:
            raise QuotaError("config", f"cannot read ca_file {cfg.ca_file}: {e.strerror or e}") from None
    return ctx


async def fetch_quota(cfg: QuotaConfig, session: Any = None) -> dict[str, float]:
    """One UAPI query; returns the quota values plus ``last_success_timestamp_seconds``."""
    import aiohttp

    try:
        token = (await asyncio.to_thread(Path(cfg.token_file).read_text, encoding="utf-8")).strip()
    except (OSError, UnicodeDecodeError) as e:
        raise QuotaError("token_file", f"cannot read token_file {cfg.token_file}: "
                                       f"{getattr(e, 'strerror', None) or e}") from None
    if not token:
        raise QuotaError("token_file", f"token_file {cfg.token_file} is empty")
    context = await asyncio.to_thread(ssl_context, cfg)
    url = cfg.url.rstrip("/") + "/execute/Quota/get_quota_info"
    headers = {"Authorization": f"cpanel {cfg.username}:{token}", "Accept": "application/json"}
    own = session is None
    if own:
        session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=float(cfg.timeout)))
    try:
        async with session.get(url, headers=headers, ssl=context, allow_redirects=False) as resp:
            if resp.status in (401, 403):
                raise QuotaError("auth", f"cPanel refused the API token (HTTP {resp.status})")
            if resp.status != 200:
                raise QuotaError("http", f"cPanel answered HTTP {resp.status}")
            try:
                doc = await resp.json(content_type=None)
            except ValueError:
                raise QuotaError("parse", "answer is not JSON") from None
    except aiohttp.ClientConnectorError as e:
        raise QuotaError("connect", f"cannot connect to {cfg.url}: {e.os_error or e}") from None
    except aiohttp.ClientError as e:
        raise QuotaError("http", f"{type(e).__name__}: {e}") from None
    except TimeoutError:
        raise QuotaError("timeout", f"no answer within {float(cfg.timeout):g}s") from None
    finally:
        if own:
            await session.close()
    values = parse_quota(doc)
    values["last_success_timestamp_seconds"] = time.time()
    return values


class QuotaPoller:
    """Polls cPanel UAPI for the account's quota and publishes it."""

    name = "storage.quota"
    stage: Stage = "source"

    def __init__(self, cfg: QuotaConfig, ctx: Context) -> None:
        self.cfg = cfg
        self.metrics = ctx.metrics(StorageMetrics)

    def reconfigure(self, new: object) -> bool:
        if not isinstance(new, QuotaPoller):
            return False
        self.cfg = new.cfg
        return True

    async def poll_once(self) -> bool:
        try:
            values = await fetch_quota(self.cfg)
        except QuotaError as e:
            self.metrics.quota_errors.labels(e.reason).inc()
            log.error("cPanel quota query failed", reason=e.reason, error=str(e))
            return False
        self.metrics.published.quota = values
        return True

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.poll_once()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), float(self.cfg.interval))
