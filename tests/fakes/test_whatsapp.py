"""The gateway doubles enforce their gateway's documented rules (so the relay is tested against them)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.fakes.whatsapp import GatewayDouble


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


async def test_waha_rules(http: aiohttp.ClientSession) -> None:
    d = GatewayDouble("waha")
    await d.start()
    try:
        url = d.url + "/api/sendText"
        ok = {"session": "default", "chatId": "628123456789@c.us", "text": "hi"}
        async with http.post(url, json=ok) as r:
            assert r.status == 401
        h = {"X-Api-Key": d.token}
        async with http.post(url, json={**ok, "chatId": "+628123456789"}, headers=h) as r:
            assert r.status == 400 and "chatId" in (await r.json())["message"][0]
        async with http.post(url, json={**ok, "session": "other"}, headers=h) as r:
            assert r.status == 422
        async with http.post(url, json=ok, headers=h) as r:
            assert r.status == 201
        assert d.delivered == [("628123456789", "hi")] and d.requests == 4
    finally:
        await d.stop()


async def test_fonnte_answers_200_with_status_false(http: aiohttp.ClientSession) -> None:
    d = GatewayDouble("fonnte")
    await d.start()
    try:
        url = d.url + "/send"
        async with http.post(url, data={"target": "08123456789", "message": "x"}) as r:
            assert r.status == 200 and await r.json() == {"reason": "invalid token", "status": False}
        h = {"Authorization": d.token}
        async with http.post(url, data={"target": "12", "message": "x"}, headers=h) as r:
            assert (await r.json())["reason"] == "target invalid"
        async with http.post(url, data={"target": "08123456789", "message": "x", "countryCode": "62"},
                             headers=h) as r:
            doc = await r.json()
        assert doc["status"] is True and doc["target"] == ["628123456789"]
    finally:
        await d.stop()


async def test_cloud_api_templates_and_errors(http: aiohttp.ClientSession) -> None:
    d = GatewayDouble("cloud_api", templates={"alert": ("en", 2)})
    await d.start()
    try:
        url = f"{d.url}/{d.phone_number_id}/messages"
        h = {"Authorization": f"Bearer {d.token}"}
        tpl = {"messaging_product": "whatsapp", "to": "628123456789", "type": "template",
               "template": {"name": "alert", "language": {"code": "en"},
                            "components": [{"type": "body", "parameters": [{"type": "text", "text": "a"}]}]}}
        async with http.post(url, json=tpl) as r:
            assert r.status == 401 and (await r.json())["error"]["code"] == 190
        async with http.post(url, json=tpl, headers=h) as r:
            assert (await r.json())["error"]["code"] == 132000
        tpl["template"]["components"][0]["parameters"] += [{"type": "text", "text": "line\nbreak"}]  # type: ignore
        async with http.post(url, json=tpl, headers=h) as r:
            assert (await r.json())["error"]["code"] == 100
        tpl["template"]["components"][0]["parameters"][1]["text"] = "b"  # type: ignore
        async with http.post(url, json=tpl, headers=h) as r:
            assert r.status == 200 and (await r.json())["messages"][0]["id"].startswith("wamid.")
        assert d.delivered == [("628123456789", "template:alert:a | b")]
    finally:
        await d.stop()


async def test_generic_rules(http: aiohttp.ClientSession) -> None:
    d = GatewayDouble("generic")
    await d.start()
    try:
        ok = {"to": "628123456789", "text": "hi"}
        async with http.post(d.url, json=ok) as r:
            assert r.status == 401
        h = {"Authorization": f"Bearer {d.token}"}
        async with http.post(d.url, json={**ok, "to": "+62 812"}, headers=h) as r:
            assert r.status == 400 and "to" in (await r.json())["error"]
        async with http.post(d.url, json={**ok, "text": ""}, headers=h) as r:
            assert r.status == 400
        async with http.post(d.url, json=ok, headers=h) as r:
            assert r.status == 200 and (await r.json())["sent"] is True
        assert d.delivered == [("628123456789", "hi")] and d.requests == 4
    finally:
        await d.stop()
