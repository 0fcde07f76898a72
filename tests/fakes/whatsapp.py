"""WhatsApp gateway doubles on loopback: WAHA, Fonnte, the Meta WhatsApp Cloud API and a generic gateway.

Each enforces its gateway's documented request and answers like it:

- **WAHA** ``POST /api/sendText``: header ``X-Api-Key`` (401 ``{"message": "Unauthorized",
  "statusCode": 401}`` otherwise), JSON ``{"session", "chatId": "<digits>@c.us", "text"}``
  (400 with NestJS' validation messages for a bad body; 422 "Session status is not as
  expected" for an unknown session); success is 201 with the sent message.
- **Fonnte** ``POST /send``: form fields ``target`` (comma separated), ``message``,
  ``countryCode`` (a leading 0 of a target is replaced by it unless it is "0"), header
  ``Authorization: <token>``. Every answer is HTTP 200: failures are
  ``{"status": false, "reason": "invalid token" | "input invalid" | "target invalid" | ...}``.
- **Cloud API** ``POST /<version>/<phone_number_id>/messages``: ``Authorization: Bearer``
  (401 with ``OAuthException`` code 190), ``messaging_product: "whatsapp"``, ``to``,
  ``type`` ``text`` (``text.body`` up to 4096 characters) or ``template`` (``name`` and
  ``language.code`` of an approved template, the template's number of body parameters,
  parameters without line breaks, tabs or more than 4 spaces in a row; errors 132001,
  132000, 100). Error objects are ``{"error": {"message", "type", "code",
  "error_subcode", "fbtrace_id"}}``. A text to a recipient outside their 24 h
  customer-service window is accepted (200) but not delivered: it lands in
  ``failed_async`` with 131047, as Meta reports it only to the business's webhook.

- **generic** ``POST /hook``: what the relay's ``generic`` preset is configured to send in the
  tests (``wa_channel``): header ``Authorization: Bearer <token>`` (401 otherwise), JSON
  ``{"to": "<digits>", "text"}`` (400 with the reason otherwise); success is 200 ``{"sent": true}``.

Failure modes (``mode``): ``ok``, ``4xx`` (the gateway's own 4xx answer; Fonnte: a
200 with ``status: false``), ``5xx`` (503), ``hang`` (never answers), ``slow``
(answers after ``delay`` seconds), ``rate_limited`` (429; Cloud API: 400 code
130429), and ``refuse()`` / ``accept()`` (stop / resume listening). ``requests``
counts every request, ``delivered`` holds ``(to, text)`` of what reached a phone.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

_ids = itertools.count(80367170)


@dataclass
class GatewayDouble:
    kind: str                           # waha | fonnte | cloud_api | generic
    token: str = "gw-secret-token"
    session: str = "default"
    phone_number_id: str = "106540352242922"
    version: str = "v21.0"
    #: Cloud API: approved templates, name -> (language code, number of body parameters).
    templates: dict[str, tuple[str, int]] = field(default_factory=dict)
    #: Cloud API: recipients who wrote to the business within 24 h (text messages reach them).
    open_windows: set[str] = field(default_factory=set)
    mode: str = "ok"
    delay: float = 0.0
    fonnte_reason: str = "devices not connected"
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    delivered: list[tuple[str, str]] = field(default_factory=list)
    failed_async: list[tuple[str, int]] = field(default_factory=list)
    bodies: list[Any] = field(default_factory=list)
    port: int = 0

    def __post_init__(self) -> None:
        self._app = web.Application()
        path = {"waha": "/api/sendText", "fonnte": "/send",
                "cloud_api": "/{version}/{phone_id}/messages", "generic": "/hook"}[self.kind]
        self._app.router.add_post(path, self._handle)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._changed = asyncio.Condition()
        self._unhang = asyncio.Event()

    async def start(self) -> None:
        self._runner = web.AppRunner(self._app, access_log=None, handle_signals=False, shutdown_timeout=0.2)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await self._site.start()
        self.port = self._site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        self._unhang.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def refuse(self) -> None:
        if self._site is not None:
            await self._site.stop()
            self._site = None
        server = self._runner.server if self._runner is not None else None
        for proto in list(getattr(server, "_connections", {})):
            if proto.transport is not None:
                proto.transport.abort()

    async def accept(self) -> None:
        if self._site is None and self._runner is not None:
            self._site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
            await self._site.start()

    def set_mode(self, mode: str) -> None:
        assert mode in ("ok", "4xx", "5xx", "hang", "slow", "rate_limited"), mode
        self.mode = mode
        if mode == "hang":
            self._unhang.clear()
        else:
            self._unhang.set()

    @property
    def url(self) -> str:
        base = f"http://127.0.0.1:{self.port}"
        if self.kind == "generic":
            return f"{base}/hook"
        return f"{base}/{self.version}" if self.kind == "cloud_api" else base

    async def wait_for(self, predicate: Any, within: float = 30.0) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), within)

    async def _answer(self, status: int, doc: Any) -> web.Response:
        self.statuses[status] += 1
        async with self._changed:
            self._changed.notify_all()
        return web.json_response(doc, status=status)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        if self.kind == "fonnte":
            body: Any = dict(await request.post())
        else:
            try:
                body = await request.json()
            except ValueError:
                body = None
        self.bodies.append(body)
        async with self._changed:
            self._changed.notify_all()
        if self.mode == "hang":
            await self._unhang.wait()
        if self.mode == "slow":
            await asyncio.sleep(self.delay)
        if self.mode == "5xx":
            return await self._answer(503, {"error": "Service Unavailable"})
        handler = {"waha": self._waha, "fonnte": self._fonnte, "cloud_api": self._cloud,
                   "generic": self._generic}[self.kind]
        return await handler(request, body)

    # -- WAHA ------------------------------------------------------------------------

    async def _waha(self, request: web.Request, body: Any) -> web.Response:
        if request.headers.get("X-Api-Key") != self.token:
            return await self._answer(401, {"message": "Unauthorized", "statusCode": 401})
        if self.mode == "rate_limited":
            return await self._answer(429, {"message": "Too Many Requests", "statusCode": 429})
        problems = []
        if not isinstance(body, dict):
            problems.append("body must be a JSON object")
            body = {}
        chat = body.get("chatId")
        if not isinstance(chat, str) or not re.fullmatch(r"\d{8,15}@c\.us", chat):
            problems.append("chatId must be a phone number followed by @c.us")
        if not isinstance(body.get("text"), str) or not body.get("text"):
            problems.append("text should not be empty")
        if not isinstance(body.get("session"), str):
            problems.append("session must be a string")
        if problems or self.mode == "4xx":
            return await self._answer(400, {"statusCode": 400, "message": problems or ["rejected"],
                                            "error": "Bad Request"})
        if body["session"] != self.session:
            return await self._answer(422, {"statusCode": 422, "error": "Session status is not as expected. Try "
                                            "again later or restart the session", "session": body["session"],
                                            "status": "STOPPED", "expected": ["WORKING"]})
        to = chat.split("@")[0]
        self.delivered.append((to, body["text"]))
        return await self._answer(201, {"id": f"true_{chat}_3EB0{next(_ids)}", "body": body["text"],
                                        "fromMe": True, "to": chat})

    # -- generic ---------------------------------------------------------------------

    async def _generic(self, request: web.Request, body: Any) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return await self._answer(401, {"error": "unauthorized"})
        if self.mode == "rate_limited":
            return await self._answer(429, {"error": "too many requests"})
        if not isinstance(body, dict) or not re.fullmatch(r"\d{8,15}", str(body.get("to", ""))):
            return await self._answer(400, {"error": "to: expected the recipient's digits"})
        if not isinstance(body.get("text"), str) or not body["text"] or self.mode == "4xx":
            return await self._answer(400, {"error": "text: must not be empty"})
        self.delivered.append((body["to"], body["text"]))
        return await self._answer(200, {"sent": True, "id": str(next(_ids))})

    # -- Fonnte ----------------------------------------------------------------------

    async def _fonnte(self, request: web.Request, body: dict[str, str]) -> web.Response:
        if request.headers.get("Authorization") != self.token:
            return await self._answer(200, {"reason": "invalid token", "status": False})
        if self.mode == "4xx":
            return await self._answer(200, {"reason": self.fonnte_reason, "status": False})
        if self.mode == "rate_limited":
            return await self._answer(429, {"reason": "too many requests", "status": False})
        target, message = body.get("target", ""), body.get("message", "")
        if not target or not message:
            return await self._answer(200, {"reason": "input invalid", "status": False})
        cc = body.get("countryCode", "62") or "62"
        numbers = []
        for t in target.split(","):
            t = t.split("|")[0].strip()
            if t.startswith("0") and cc != "0":
                t = cc + t[1:]
            if not re.fullmatch(r"\d{8,15}", t):
                return await self._answer(200, {"reason": "target invalid", "status": False})
            numbers.append(t)
        ids = []
        for t in numbers:
            self.delivered.append((t, message))
            ids.append(str(next(_ids)))
        return await self._answer(200, {"detail": "success! message in queue", "id": ids, "process": "pending",
                                        "requestid": next(_ids), "status": True, "target": numbers})

    # -- Cloud API -------------------------------------------------------------------

    async def _cloud_error(self, status: int, code: int, message: str, etype: str = "OAuthException",
                           subcode: int | None = None) -> web.Response:
        err: dict[str, Any] = {"message": message, "type": etype, "code": code, "fbtrace_id": "AbCdEf123"}
        if subcode is not None:
            err["error_subcode"] = subcode
        return await self._answer(status, {"error": err})

    async def _cloud(self, request: web.Request, body: Any) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return await self._cloud_error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        if request.match_info["phone_id"] != self.phone_number_id or request.match_info["version"] != self.version:
            return await self._cloud_error(400, 100, "Unsupported post request. Object with ID "
                                           f"'{request.match_info['phone_id']}' does not exist", "GraphMethodException",
                                           33)
        if self.mode == "rate_limited":
            return await self._cloud_error(400, 130429, "Rate limit hit", "OAuthException")
        if self.mode == "4xx":
            return await self._cloud_error(400, 131026, "Message Undeliverable", "OAuthException")
        if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp":
            return await self._cloud_error(400, 100, "(#100) The parameter messaging_product is required.")
        to = str(body.get("to", "")).lstrip("+")
        if not re.fullmatch(r"\d{8,15}", to):
            return await self._cloud_error(400, 100, "(#100) Invalid parameter", subcode=2494010)
        kind = body.get("type", "text")
        if kind == "text":
            text = (body.get("text") or {}).get("body")
            if not isinstance(text, str) or not text or len(text) > 4096:
                return await self._cloud_error(400, 100, "(#100) Param text['body'] must be at most 4096 characters")
            if to in self.open_windows:
                self.delivered.append((to, text))
            else:
                self.failed_async.append((to, 131047))
        elif kind == "template":
            tpl = body.get("template") or {}
            name, lang = tpl.get("name"), (tpl.get("language") or {}).get("code")
            if name not in self.templates or self.templates[name][0] != lang:
                return await self._cloud_error(404, 132001, "(#132001) Template name does not exist in the "
                                               "translation")
            params = [p for c in tpl.get("components", []) if c.get("type") == "body"
                      for p in c.get("parameters", [])]
            if len(params) != self.templates[name][1]:
                return await self._cloud_error(400, 132000, "(#132000) Number of parameters does not match the "
                                               "expected number of params")
            texts = [str(p.get("text", "")) for p in params]
            if any(re.search(r"[\n\t]| {5,}", t) or not t for t in texts):
                return await self._cloud_error(400, 100, "(#100) Invalid parameter: Param text cannot have "
                                               "new-line/tab characters or more than 4 consecutive spaces")
            self.delivered.append((to, f"template:{name}:" + " | ".join(texts)))
        else:
            return await self._cloud_error(400, 100, f"(#100) Unsupported message type {kind}")
        return await self._answer(200, {"messaging_product": "whatsapp", "contacts": [{"input": body["to"],
                                        "wa_id": to}], "messages": [{"id": f"wamid.HBgL{next(_ids)}",
                                                                     "message_status": "accepted"}]})
