"""A resident opens her WeChat page from her inbox link, sees the code to follow the account, is bound by WeChat's
callback, and stops it herself: on a phone and at desktop size, with axe and screenshots. The server talks to a
local stub of WeChat's API (tests/plugins/wechat_stub.py)."""

from __future__ import annotations

import hashlib
import time
from typing import Iterator

import httpx
import pytest

from tests.browser.conftest import Served, demo_copy, running, serious_violations, shoot
from tests.plugins.wechat_stub import WechatStub

APP_ID = "wx3f2a9c7d1e5b4a60"
SECRET = "an app secret for browser tests"
CALLBACK_TOKEN = "c4llback-token"
OPENID = "oWx1a2B3c4D5e6F7g8H9i0JkLmNo"


@pytest.fixture(scope="module")
def stub() -> Iterator[WechatStub]:
    with WechatStub(APP_ID, SECRET) as server:
        yield server


@pytest.fixture(scope="module")
def served(tmp_path_factory, demo_template, stub) -> Iterator[Served]:
    """The demo served with [channels.wechat] pointing at the stub."""
    folder = tmp_path_factory.mktemp("served-wechat")
    config = folder / "meihao.toml"
    config.write_text(
        f'[channels.wechat]\napp_id = "{APP_ID}"\napp_secret = "{SECRET}"\ncallback_token = "{CALLBACK_TOKEN}"\n'
        f'account_name = "荷畔社区服务"\nendpoint = "{stub.url}"\nqr_endpoint = "{stub.url}"\n', encoding="utf-8")
    env, port = demo_copy(demo_template, folder)
    env["MEIHAO_CONFIG"] = str(config)
    with running(folder, env, port) as url:
        yield Served(url, env, demo_template.staff_password, demo_template.admin_password, folder / "meihao.db")


@pytest.fixture(scope="module")
def resident(served) -> dict:
    (resident_id,), = served.sql(
        "SELECT r.id FROM meihao_resident r JOIN meihao_community c ON c.id = r.community WHERE c.slug = 'hepan' ORDER BY r.id LIMIT 1")
    login = httpx.post(f"{served.url}/api/auth/login", json={"username": "admin", "password": served.admin_password})
    answer = httpx.post(f"{served.url}/api/residents/{resident_id}/inbox-link", headers={"Authorization": f"Bearer {login.json()['token']}"})
    assert answer.status_code in (200, 201), answer.text
    return {"id": resident_id, "inbox": answer.json()["page"].removeprefix(served.url)}


def follow(served: Served, scene: str) -> None:
    """What WeChat posts when she follows through the code (plaintext mode, signed query)."""
    timestamp, nonce = str(int(time.time())), "1514711492"
    signature = hashlib.sha1("".join(sorted([CALLBACK_TOKEN, timestamp, nonce])).encode()).hexdigest()
    body = (f"<xml><ToUserName><![CDATA[gh_3f2a9c7d1e5b]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>"
            f"<CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>"
            f"<EventKey><![CDATA[qrscene_{scene}]]></EventKey></xml>")
    answer = httpx.post(f"{served.url}/api/wechat/callback", params={"signature": signature, "timestamp": timestamp, "nonce": nonce},
                        content=body.encode())
    assert answer.status_code == 200 and answer.text == "success"


@pytest.mark.parametrize("size", ["phone", "page"])
def test_a_resident_follows_the_account_from_her_page_and_stops_it(request, size, served, resident, stub):
    view = request.getfixturevalue(size)
    view.goto(resident["inbox"])
    view.click("text=用微信接收提醒")
    view.wait_for_load_state()
    assert view.locator("h1").inner_text() == "用微信接收提醒"
    assert view.locator(".r-steps li").all_inner_texts() == ["打开微信，点“扫一扫”。", "扫下面的二维码，点“关注公众号”。"]
    image = view.locator(".wechat-qr img")
    assert image.evaluate("img => img.complete && img.naturalWidth > 0") is True
    assert "公众号：荷畔社区服务" in view.locator("main").inner_text()
    assert view.evaluate("document.documentElement.scrollWidth") <= view.viewport_size["width"]
    assert serious_violations(view) == []
    shoot(view, f"residents-wechat-follow-{size}")
    scene = [c for c in stub.calls if c.path == "/cgi-bin/qrcode/create"][-1].body["action_info"]["scene"]["scene_str"]
    assert scene.startswith(f"b{resident['id']}.")
    follow(served, scene)
    view.reload()
    assert view.locator(".r-done").inner_text() == "您的微信已绑定，提醒会发到您的微信上。"
    assert served.sql("SELECT recipient_id, address FROM meihao_contact WHERE channel = 'wechat'") == [(resident["id"], OPENID)]
    shoot(view, f"residents-wechat-bound-{size}")
    view.click("text=不再用微信接收提醒")
    view.wait_for_load_state()
    assert view.locator(".r-notice").inner_text() == "已取消：提醒不再发到您的微信。"
    assert served.sql("SELECT count(*) FROM meihao_contact WHERE channel = 'wechat'") == [(0,)]
