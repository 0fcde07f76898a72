"""WhatsApp channel: one HTTP request per recipient to a gateway; presets in ``GATEWAYS``.

- ``waha`` (WAHA, https://waha.devlike.pro/docs/how-to/send-messages/):
  ``POST {url}/api/sendText``, JSON ``{"session", "chatId": "<digits>@c.us", "text"}``,
  header ``X-Api-Key``; any 2xx is success.
- ``fonnte`` (https://docs.fonnte.com/api-send-message/): ``POST {url}/send``, form
  fields ``target``, ``message``, ``countryCode``, header ``Authorization: <token>``. It
  answers HTTP 200 to failures too, with ``{"status": false, "reason": ...}``: only
  ``"status": true`` is success.
- ``cloud_api`` (Meta WhatsApp Cloud API): ``POST {url}/{phone_number_id}/messages``
  with a Bearer token, JSON ``{"messaging_product": "whatsapp", "to", "type": "text",
  "text": {"body"}}``, or ``"type": "template"`` when ``template`` is set. Errors are
  ``{"error": {"code", "message", ...}}``; rate limits (codes 4, 80007, 130429,
  131048, 131056) are transient although answered with 400. A text outside the
  recipient's 24 h customer-service window is accepted (200) and fails later
  (131047, reported only to the business's webhook): set ``template`` for alerts.
- ``generic``: ``method`` ``url`` with ``headers`` and the TOML table ``body``, whose
  string values get ``{to}``, ``{text}``, ``{severity}``, ``{alertname}``, ``{summary}``,
  ``{url}``, ``{status}`` substituted (``{token}`` in headers), then JSON-encoded.

Everywhere: 2xx (and the gateway's own success test) delivered; 429 and 5xx,
timeouts and connection errors transient; other 4xx permanent. Gateway answers
are kept (scrubbed of the token, cut to 300 characters) for the log and the API.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from ..config import PLACEHOLDER_RE, WhatsAppChannel
from ..message import Message, fields, one_line, whatsapp_text
from .base import Delivered, Permanent, Result, Transient, combine, read_secret, scrub

#: Cloud API error codes that mean "slow down", answered with HTTP 400.
CLOUD_RATE_CODES = {4, 80007, 130429, 131048, 131056}
#: Cloud API codes for a temporary problem on Meta's side.
CLOUD_TRANSIENT_CODES = {1, 2, 131000, 131016, 133004}


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    headers: dict[str, str]
    json: Any = None
    form: dict[str, str] | None = None


@dataclass(frozen=True)
class Gateway:
    request: Callable[[WhatsAppChannel, str, str, Message], Request]
    #: (HTTP status, body) -> result; None means "decide by the status code alone".
    answer: Callable[[int, bytes], Result | None]


def _by_status(status: int, detail: str) -> Result:
    if 200 <= status < 300:
        return Delivered(detail=detail)
    if status == 429:
        return Transient("rate_limited", f"HTTP 429 {detail}")
    if status == 408 or status >= 500:
        return Transient("http_5xx" if status >= 500 else "timeout", f"HTTP {status} {detail}")
    return Permanent("http_4xx", f"HTTP {status} {detail}")


def _json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


# -- WAHA ------------------------------------------------------------------------------


def _waha_request(cfg: WhatsAppChannel, token: str, to: str, msg: Message) -> Request:
    return Request("POST", cfg.url.rstrip("/") + "/api/sendText",
                   {"X-Api-Key": token, "Content-Type": "application/json"},
                   json={"session": cfg.session, "chatId": f"{to}@c.us", "text": whatsapp_text(msg, to)})


# -- Fonnte ----------------------------------------------------------------------------


def _fonnte_request(cfg: WhatsAppChannel, token: str, to: str, msg: Message) -> Request:
    return Request("POST", cfg.url.rstrip("/") + "/send", {"Authorization": token},
                   form={"target": to, "message": whatsapp_text(msg, to), "countryCode": cfg.country_code})


def _fonnte_answer(status: int, body: bytes) -> Result | None:
    if status != 200:
        return None
    doc = _json(body)
    if not isinstance(doc, dict) or "status" not in doc:
        return Permanent("gateway_error", f"unexpected answer: {one_line(body.decode('utf-8', 'replace'), 120)}")
    if doc.get("status") is True:
        return Delivered(detail=str(doc.get("id", ""))[:100])
    reason = str(doc.get("reason", "no reason given"))
    if re.search(r"disconnect|timeout|try again|later|busy", reason, re.I):
        return Transient("gateway_error", f"status false: {reason}")
    return Permanent("gateway_error", f"status false: {reason}")


# -- WhatsApp Cloud API ------------------------------------------------------------------


def _template_param(text: str) -> str:
    # Template parameters may not hold line breaks, tabs or more than 4 spaces in a row.
    return re.sub(r" {4,}", "   ", one_line(text.replace("\t", " "), 1000))


def _cloud_request(cfg: WhatsAppChannel, token: str, to: str, msg: Message) -> Request:
    url = f"{cfg.url.rstrip('/')}/{cfg.phone_number_id}/messages"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    doc: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}
    if cfg.template:
        values = fields(msg, to)
        params = [{"type": "text", "text": _template_param(substitute(p, values)) or "-"}
                  for p in cfg.template_params]
        doc["type"] = "template"
        doc["template"] = {"name": cfg.template, "language": {"code": cfg.template_language},
                           "components": [{"type": "body", "parameters": params}] if params else []}
    else:
        doc["type"] = "text"
        doc["text"] = {"preview_url": False, "body": whatsapp_text(msg, to)}
    return Request("POST", url, headers, json=doc)


def _cloud_answer(status: int, body: bytes) -> Result | None:
    doc = _json(body)
    if 200 <= status < 300:
        if isinstance(doc, dict) and doc.get("messages"):
            return Delivered(detail=str(doc["messages"][0].get("id", ""))[:120])
        return Permanent("gateway_error", "2xx without a message id")
    err = doc.get("error") if isinstance(doc, dict) else None
    if not isinstance(err, dict):
        return None
    code = err.get("code")
    text = f"HTTP {status} code {code}: {err.get('message', '')}"
    if code in CLOUD_RATE_CODES or status == 429:
        return Transient("rate_limited", text)
    if code in CLOUD_TRANSIENT_CODES or status >= 500:
        return Transient("http_5xx", text)
    if status in (401, 403) or code == 190:
        return Permanent("auth", text)
    return Permanent("http_4xx", text)


# -- generic ---------------------------------------------------------------------------


def substitute(text: str, values: dict[str, str]) -> str:
    return PLACEHOLDER_RE.sub(lambda m: values.get(m[1], m[0]), text)


def _walk(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return substitute(value, values)
    if isinstance(value, dict):
        return {k: _walk(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, values) for v in value]
    return value


def _generic_request(cfg: WhatsAppChannel, token: str, to: str, msg: Message) -> Request:
    values = fields(msg, to)
    headers = {k: substitute(v, {**values, "token": token}) for k, v in cfg.headers.items()}
    headers.setdefault("Content-Type", "application/json")
    return Request(cfg.method, cfg.url, headers, json=_walk(cfg.body, values))


GATEWAYS: dict[str, Gateway] = {
    "waha": Gateway(_waha_request, lambda status, body: None),
    "fonnte": Gateway(_fonnte_request, _fonnte_answer),
    "cloud_api": Gateway(_cloud_request, _cloud_answer),
    "generic": Gateway(_generic_request, lambda status, body: None),
}

#: Bytes of a gateway answer read at most (a flood of bytes is cut, not buffered).
MAX_ANSWER = 64 * 1024


class WhatsAppSender:
    def __init__(self, cfg: WhatsAppChannel) -> None:
        self.cfg = cfg
        self.name = cfg.name
        self.recipients = cfg.numbers
        self.gateway = GATEWAYS[cfg.gateway]
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            ctx: ssl.SSLContext | bool = True
            if self.cfg.ca_file:
                ctx = ssl.create_default_context(cafile=self.cfg.ca_file)
            t = float(self.cfg.timeout)
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=t, connect=t, sock_read=t),
                connector=aiohttp.TCPConnector(ssl=ctx, limit=4), headers={"User-Agent": "cflexagent-relay"})
        return self._session

    async def send(self, message: Message, done: frozenset[str]) -> Result:
        token = ""
        if self.cfg.token_file:
            try:
                token = read_secret(self.cfg.token_file)
            except OSError as e:
                return Permanent("credentials", f"cannot read token_file: {e.strerror or e}")
        results: list[tuple[str, Result]] = []
        for to in self.recipients:
            if to in done:
                continue
            res = await self._one(self.gateway.request(self.cfg, token, to, message), token)
            results.append((to, res))
            if isinstance(res, Transient) and res.reason in ("timeout", "refused", "connect"):
                break  # the gateway is unreachable: the others would wait for the same timeout
        return combine(results, done)

    async def _one(self, req: Request, token: str) -> Result:
        kwargs: dict[str, Any] = {"headers": req.headers, "allow_redirects": False}
        if req.json is not None:
            kwargs["data"] = orjson.dumps(req.json)
        elif req.form is not None:
            kwargs["data"] = req.form
        try:
            async with asyncio.timeout(float(self.cfg.timeout) + 1):
                async with self._client().request(req.method, req.url, **kwargs) as resp:
                    body = await resp.content.read(MAX_ANSWER)
                    status = resp.status
        except (TimeoutError, aiohttp.ServerTimeoutError):
            return Transient("timeout", f"no answer within {float(self.cfg.timeout):g}s")
        except aiohttp.ClientConnectorCertificateError as e:
            return Permanent("tls", scrub(str(e.certificate_error)))
        except aiohttp.ClientConnectorError as e:
            if isinstance(e.os_error, ConnectionRefusedError):
                return Transient("refused", "connection refused")
            return Transient("connect", scrub(str(e.os_error) or str(e)))
        except (aiohttp.ClientError, OSError) as e:
            return Transient("connect", scrub(f"{type(e).__name__}: {e}", token))
        result = self.gateway.answer(status, body)
        if result is None:
            result = _by_status(status, one_line(body.decode("utf-8", "replace"), 200))
        return _scrubbed(result, token)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _scrubbed(result: Result, token: str) -> Result:
    if isinstance(result, Delivered):
        return Delivered(result.done, scrub(result.detail, token))
    if isinstance(result, Transient):
        return Transient(result.reason, scrub(result.detail, token), result.done)
    return Permanent(result.reason, scrub(result.detail, token), result.done)
