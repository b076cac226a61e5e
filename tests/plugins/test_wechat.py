"""The WeChat channel against a local stub of WeChat Official Account's API (tests/plugins/wechat_stub.py):
the shared access token (one refresh at a time), template messages with the resident's link, the token
expiring mid-way, WeChat's refusals, the signed follow/unfollow callback and the resident's binding page."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
from datetime import datetime
from urllib.parse import urlsplit

import msgspec
import pytest

from meihao import PermanentFailure
from meihao.plugins.wechat import resident_of_scene, scene_for, send_wechat
from meihao.plugins.wechat.client import access_token, wechat_settings
from meihao.plugins.wechat.tables import WechatBinding, WechatToken
from meihao.reminders.activities import ActivityIn, create_activity
from meihao.reminders.recipients import set_contact
from meihao.reminders.tables import Contact, Reminder
from meihao.reminders.tokens import make_token, resolve_token
from meihao.testing import ANONYMOUS, drain, make_client
from tests.plugins.wechat_stub import QR_STAND_IN, WechatStub
from tests.reminders.conftest import build_street
from tests.reminders.test_reminders import at

APP_ID = "wx3f2a9c7d1e5b4a60"
SECRET = "an app secret for tests"
CALLBACK_TOKEN = "c4llback-token"
OPENID = "oWx1a2B3c4D5e6F7g8H9i0JkLmNo"
OTHER_OPENID = "oWx9z8Y7x6W5v4U3t2S1r0QpOnMl"
TEMPLATE = {"id": "TM_7Xq1dLqZ_activity", "data": {"thing1": "title", "time2": "when", "thing3": "venue"}}


@pytest.fixture
def stub():
    with WechatStub(APP_ID, SECRET) as server:
        yield server


def configure(meihao, stub: WechatStub, **given) -> dict:
    values = {"app_id": APP_ID, "app_secret": SECRET, "callback_token": CALLBACK_TOKEN, "endpoint": stub.url, "qr_endpoint": stub.url,
              "account_name": "荷畔社区", "templates": {"culture": TEMPLATE}, **given}
    meihao.settings = msgspec.structs.replace(meihao.settings, channels={"wechat": values})
    return values


def show(**fields) -> ActivityIn:
    values = dict(
        scene="culture", title="戏曲进社区", venue="文化广场", starts_at=datetime(2026, 3, 7, 14, 0), ends_at=datetime(2026, 3, 7, 16, 0),
        audience={"residents": []}, reminder_offsets=[1440], channels=["wechat"],
    )
    values.update(fields)
    return ActivityIn(**values)


async def remind_one(meihao, **activity):
    street = await build_street(meihao)
    resident = street.residents["王秀英"]["id"]
    await set_contact(meihao, "resident", resident, "wechat", OPENID)
    await create_activity(meihao, "hepan", show(audience={"residents": [resident]}, **activity))
    street.clock.set(at(2026, 3, 6, 14, 0))
    return street, resident, await drain(street.engine)


# -- sending -------------------------------------------------------------------------------------


async def test_a_reminder_goes_as_the_scenes_template_with_a_link_to_the_residents_page(meihao, stub):
    configure(meihao, stub)
    street, resident, result = await remind_one(meihao)
    assert result.sent == 1
    [send] = stub.calls
    assert send.path == "/cgi-bin/message/template/send"
    assert send.query == {"access_token": "ACCESS_TOKEN_1"}
    [reminder] = await Reminder.select(Reminder.id, Reminder.status)
    assert reminder["status"] == "sent"
    assert send.body["touser"] == OPENID
    assert send.body["template_id"] == "TM_7Xq1dLqZ_activity"
    assert send.body["client_msg_id"] == f"meihao-reminder-{reminder['id']}"
    assert send.body["data"] == {"thing1": {"value": "戏曲进社区"}, "time2": {"value": "3月7日（周六）下午2点"}, "thing3": {"value": "文化广场"}}
    # the link is her own inbox page, with her current link's token
    url = urlsplit(send.body["url"])
    assert send.body["url"].startswith(f"{meihao.settings.base_url}/r/inbox/")
    assert await resolve_token(meihao, url.path.removeprefix("/r/inbox/"), "inbox") == ("resident", resident)
    assert stub.token_fetches == 1
    [token] = await WechatToken.select(WechatToken.app_id, WechatToken.access_token, WechatToken.refreshes)
    assert token == {"app_id": APP_ID, "access_token": "ACCESS_TOKEN_1", "refreshes": 1}


async def test_subscribe_messages_carry_the_link_as_page(meihao, stub):
    configure(meihao, stub, kind="subscribe")
    _, _, result = await remind_one(meihao)
    assert result.sent == 1
    [send] = stub.calls
    assert send.path == "/cgi-bin/message/subscribe/bizsend"
    assert send.body["page"].startswith(f"{meihao.settings.base_url}/r/inbox/") and "url" not in send.body


async def test_a_thing_longer_than_20_characters_is_cut_and_20_is_kept(meihao, stub):
    configure(meihao, stub)
    twenty = "一二三四五六七八九十一二三四五六七八九十"
    _, _, result = await remind_one(meihao, title=twenty, venue=twenty + "外")
    assert result.sent == 1
    [send] = stub.calls
    assert send.body["data"]["thing1"] == {"value": twenty}
    assert send.body["data"]["thing3"] == {"value": twenty[:19] + "…"}


async def test_the_token_is_reused_until_it_expires_then_refreshed_once_and_the_message_sent_again(meihao, stub):
    settings = wechat_settings(configure(meihao, stub))
    street, resident, result = await remind_one(meihao)
    assert result.sent == 1
    message = _message(settings, 99)
    await send_wechat(message)  # the same token, no fetch
    assert stub.token_fetches == 1
    stub.expire()
    await send_wechat(_message(settings, 100))
    assert stub.token_fetches == 2
    assert [(c.query["access_token"], c.answer["errcode"]) for c in stub.calls] == [
        ("ACCESS_TOKEN_1", 0), ("ACCESS_TOKEN_1", 0), ("ACCESS_TOKEN_1", 42001), ("ACCESS_TOKEN_2", 0)]
    # a token another node replaced (40001 for the one this node holds) is refreshed the same way
    await WechatToken.update({WechatToken.access_token: "ACCESS_TOKEN_OLD"}).where(WechatToken.app_id == APP_ID)
    await send_wechat(_message(settings, 101))
    assert stub.token_fetches == 3
    assert [c.answer["errcode"] for c in stub.calls[-2:]] == [40001, 0]


async def test_a_token_refused_again_after_the_refresh_is_retried_later_not_looped(meihao, stub):
    settings = wechat_settings(configure(meihao, stub))
    await build_street(meihao)
    stub.refuse[OPENID] = [(40001, "invalid credential"), (40001, "invalid credential")]
    with pytest.raises(RuntimeError) as caught:
        await send_wechat(_message(settings, 7))
    assert str(caught.value) == "to oWx1…LmNo: WeChat errcode 40001: invalid credential"
    assert stub.token_fetches == 2 and len(stub.calls) == 2


def _message(settings, reminder_id: int, openid: str = OPENID):
    from meihao import Message

    return Message(
        delivery_id=f"meihao-reminder-{reminder_id}", recipient_kind="resident", recipient_id=1, recipient_name="王秀英", address=openid,
        language="zh", subject="活动提醒：戏曲进社区", body="…", unsubscribe_url="", page_url="https://meihao.example/r/inbox/r1.1.x",
        activity={"scene": "culture", "title": "戏曲进社区", "venue": "文化广场", "when": "3月7日（周六）下午2点", "source": ""},
        community="hepan", settings=msgspec.to_builtins(settings),
    )


async def test_a_follower_who_left_fails_at_once_with_the_openid_masked_and_never_logged(meihao, stub, caplog):
    configure(meihao, stub)
    stub.refuse[OPENID] = [(43004, "require subscribe")]
    caplog.set_level(logging.DEBUG)
    _, _, result = await remind_one(meihao)
    assert result.failed == 1 and result.retried == 0
    [row] = await Reminder.select(Reminder.status, Reminder.last_error)
    assert row == {"status": "failed", "last_error": "PermanentFailure: to oWx1…LmNo: WeChat errcode 43004: the user no longer follows the account"}
    assert [r.getMessage() for r in caplog.records if r.name != "aiosqlite" and OPENID in r.getMessage()] == []


async def test_wechats_trouble_is_retried_and_a_missing_template_fails_saying_so(meihao, stub):
    configure(meihao, stub)
    stub.refuse[OPENID] = [(-1, "system error")]
    street, _, result = await remind_one(meihao)
    assert result.retried == 1
    [row] = await Reminder.select(Reminder.last_error)
    assert row["last_error"] == "RuntimeError: to oWx1…LmNo: WeChat errcode -1: system error"
    stub.status_next = [502]
    street.clock.advance(seconds=30)
    result = await drain(street.engine)
    assert result.retried == 1
    [row] = await Reminder.select(Reminder.last_error)
    assert row["last_error"] == "RuntimeError: WeChat answered HTTP 502"
    street.clock.advance(seconds=120)
    assert (await drain(street.engine)).sent == 1

    settings = wechat_settings(configure(meihao, stub))
    with pytest.raises(PermanentFailure) as caught:
        await send_wechat(_replace_scene(_message(settings, 8), "markets"))
    assert str(caught.value) == "no WeChat template for 'markets': map one in [channels.wechat.templates.markets]"


def _replace_scene(message, scene: str):
    from dataclasses import replace

    return replace(message, activity={**message.activity, "scene": scene})


async def test_settings_that_cannot_work_fail_at_once(meihao, stub):
    with pytest.raises(PermanentFailure) as caught:
        wechat_settings({"app_id": APP_ID})
    assert str(caught.value) == "[channels.wechat] settings: app_id and app_secret (or MEIHAO_WECHAT_APP_SECRET) are not set"
    with pytest.raises(PermanentFailure) as caught:
        wechat_settings({"app_id": APP_ID, "app_secret": SECRET, "templates": {"culture": {"id": "T", "data": {"thing1": "phone"}}}})
    assert str(caught.value) == (
        "[channels.wechat] settings: templates.culture.data.thing1: 'phone' is not one of title, venue, when, starts_at, ends_at, description")
    with pytest.raises(PermanentFailure) as caught:
        wechat_settings(None)
    assert str(caught.value) == '[channels.wechat] is not set up in meihao.toml (docs/reminders.md, "WeChat")'


# -- the shared token ----------------------------------------------------------------------------


async def test_five_workers_needing_a_token_at_once_fetch_it_once(meihao, stub):
    """On PostgreSQL, five concurrent callers on the pool; the fetch is slow, so they all arrive while it runs."""
    settings = wechat_settings(configure(meihao, stub))
    stub.token_delay = 0.3
    from meihao.plugins.wechat import client

    http = client(settings.timeout_seconds)
    tokens = await asyncio.gather(*(access_token(settings, http) for _ in range(5)))
    assert tokens == ["ACCESS_TOKEN_1"] * 5
    assert stub.token_fetches == 1
    # the same token refused by WeChat in five workers at once: one refresh, all get the new one
    tokens = await asyncio.gather(*(access_token(settings, http, stale="ACCESS_TOKEN_1") for _ in range(5)))
    assert tokens == ["ACCESS_TOKEN_2"] * 5
    assert stub.token_fetches == 2
    [row] = await WechatToken.select(WechatToken.refreshes, WechatToken.refreshing_until)
    assert row == {"refreshes": 2, "refreshing_until": None}


async def test_a_token_near_its_expiry_is_refreshed_and_one_five_minutes_and_a_second_away_is_not(meihao, stub):
    from datetime import timedelta, timezone

    from meihao.plugins.wechat import client

    settings = wechat_settings(configure(meihao, stub))
    http = client(settings.timeout_seconds)
    assert await access_token(settings, http) == "ACCESS_TOKEN_1"
    now = datetime.now(timezone.utc)
    await WechatToken.update({WechatToken.expires_at: now + timedelta(seconds=301)}).where(WechatToken.app_id == APP_ID)
    assert await access_token(settings, http) == "ACCESS_TOKEN_1"
    await WechatToken.update({WechatToken.expires_at: now + timedelta(seconds=299)}).where(WechatToken.app_id == APP_ID)
    assert await access_token(settings, http) == "ACCESS_TOKEN_2"


async def test_a_failed_fetch_releases_the_refresh_and_says_why(meihao, stub):
    from meihao.plugins.wechat import client

    settings = wechat_settings(configure(meihao, stub, app_secret="wrong"))
    with pytest.raises(Exception) as caught:
        await access_token(settings, client(settings.timeout_seconds))
    assert str(caught.value) == "WeChat errcode 40125: invalid AppSecret"
    [row] = await WechatToken.select(WechatToken.access_token, WechatToken.refreshing_until, WechatToken.refreshes)
    assert row == {"access_token": "", "refreshing_until": None, "refreshes": 0}
    settings = wechat_settings(configure(meihao, stub))
    assert await access_token(settings, client(settings.timeout_seconds)) == "ACCESS_TOKEN_1"


# -- the callback: binding and unbinding ---------------------------------------------------------


def signed(timestamp: int, nonce: str = "1514711492", token: str = CALLBACK_TOKEN) -> dict[str, str]:
    # WeChat's document: sort token, timestamp, nonce; join; SHA-1; hex
    return {"signature": hashlib.sha1("".join(sorted([token, str(timestamp), nonce])).encode()).hexdigest(),
            "timestamp": str(timestamp), "nonce": nonce}


def event(openid: str, kind: str, key: str = "") -> str:
    return (f"<xml><ToUserName><![CDATA[gh_3f2a9c7d1e5b]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>1772780400</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{kind}]]></Event>"
            f"<EventKey><![CDATA[{key}]]></EventKey><Ticket><![CDATA[gQH47joAAAAAAAAAASxodHRwOi8v1]]></Ticket></xml>")


async def test_the_url_check_answers_echostr_only_when_signed(meihao, stub):
    configure(meihao, stub)
    now = int(meihao.clock.now().timestamp())
    async with make_client(meihao, ANONYMOUS) as client:
        ok = await client.get("/api/wechat/callback", params={**signed(now), "echostr": "7143419231402352563"})
        assert ok.status_code == 200 and ok.text == "7143419231402352563"
        wrong = await client.get("/api/wechat/callback", params={**signed(now, token="not-the-token"), "echostr": "1"})
        assert wrong.status_code == 403 and "signature is wrong" in wrong.text
        configure(meihao, stub, callback_token="")
        assert (await client.get("/api/wechat/callback", params={**signed(now), "echostr": "1"})).status_code == 404


async def bindings() -> dict[int, str]:
    rows = await Contact.select(Contact.recipient_id, Contact.address).where(Contact.channel == "wechat")
    return {row["recipient_id"]: row["address"] for row in rows}


async def test_following_through_the_residents_code_binds_her_and_unfollowing_unbinds(meihao, stub):
    settings = wechat_settings(configure(meihao, stub))
    street = await build_street(meihao)
    wang, zhang = street.residents["王秀英"]["id"], street.residents["张伟"]["id"]
    now = int(meihao.clock.now().timestamp())
    async with make_client(meihao, ANONYMOUS) as client:
        async def post(body: str, timestamp: int = now, token: str = CALLBACK_TOKEN):
            return await client.post("/api/wechat/callback", params={**signed(timestamp, token=token), "openid": OPENID},
                                     content=body.encode(), headers={"Content-Type": "text/xml"})

        # a wrong signature, or a request older than 300 seconds, changes nothing
        forged = await post(event(OPENID, "subscribe", "qrscene_" + scene_for(settings, wang)), token="guess")
        assert forged.status_code == 403
        stale = await post(event(OPENID, "subscribe", "qrscene_" + scene_for(settings, wang)), timestamp=now - 301)
        assert stale.status_code == 403
        assert await bindings() == {}
        # 300 seconds old is still taken
        answer = await post(event(OPENID, "subscribe", "qrscene_" + scene_for(settings, wang)), timestamp=now - 300)
        assert answer.status_code == 200 and answer.text == "success"
        assert await bindings() == {wang: OPENID}
        # WeChat repeats a callback it had no answer to: the same binding, once
        assert (await post(event(OPENID, "subscribe", "qrscene_" + scene_for(settings, wang)))).text == "success"
        assert await bindings() == {wang: OPENID} and await WechatBinding.count() == 1
        # already following: a SCAN of her father's code binds him to the same WeChat
        assert (await post(event(OPENID, "SCAN", scene_for(settings, zhang)))).text == "success"
        assert await bindings() == {wang: OPENID, zhang: OPENID}
        # a scene meihao did not sign (another resident's id with a made-up signature) binds nobody
        forged_scene = f"b{street.residents['李建国']['id']}.{'0' * 24}"
        assert (await post(event(OTHER_OPENID, "subscribe", "qrscene_" + forged_scene))).text == "success"
        assert await bindings() == {wang: OPENID, zhang: OPENID}
        # following without a code binds nobody
        assert (await post(event(OTHER_OPENID, "subscribe"))).text == "success"
        assert await WechatBinding.count() == 2
        # an unfollow unbinds everyone bound to that WeChat user, and only them
        await set_contact(meihao, "resident", street.residents["刘芳"]["id"], "wechat", OTHER_OPENID)
        assert (await post(event(OPENID, "unsubscribe"))).text == "success"
        assert await bindings() == {street.residents["刘芳"]["id"]: OTHER_OPENID}
        assert await WechatBinding.count() == 0
        # bad XML is the sender's mistake
        assert (await post("<xml><FromUserName>")).status_code == 400


def test_the_openid_in_the_callbacks_address_never_reaches_the_access_log():
    from meihao.web.safety import redact_secret_links

    line = f'"POST /api/wechat/callback?signature=9a0b&timestamp=1772780400&nonce=1514711492&openid={OPENID} HTTP/1.1" 200'
    assert redact_secret_links(line) == '"POST /api/wechat/callback?signature=9a0b&timestamp=1772780400&nonce=1514711492&openid=… HTTP/1.1" 200'
    assert redact_secret_links(f"GET /api/wechat/callback?openid={OPENID}&nonce=1") == "GET /api/wechat/callback?openid=…&nonce=1"


def test_a_scene_names_its_resident_only_with_meihaos_signature():
    settings = wechat_settings({"app_id": APP_ID, "app_secret": SECRET})
    scene = scene_for(settings, 12)
    assert scene.startswith("b12.") and len(scene) == 28 and len(scene) <= 64
    assert resident_of_scene(settings, scene) == 12
    assert resident_of_scene(settings, scene.replace("b12.", "b13.")) is None
    assert resident_of_scene(wechat_settings({"app_id": APP_ID, "app_secret": "another"}), scene) is None
    assert resident_of_scene(settings, "qrscene_123") is None
    assert resident_of_scene(settings, "bx.0") is None


# -- the resident's page -------------------------------------------------------------------------


async def test_the_residents_page_shows_her_code_then_that_she_is_bound_and_lets_her_stop(meihao, stub):
    from meihao.testing import form_token, make_page_client

    settings = wechat_settings(configure(meihao, stub))
    street = await build_street(meihao)
    wang = street.residents["王秀英"]["id"]
    token = await make_token(meihao, "resident", wang, "inbox")
    async with make_page_client(meihao, ANONYMOUS) as client:
        inbox = await client.get(f"/r/inbox/{token}")
        assert f'href="/r/{token}/wechat">用微信接收提醒</a>' in inbox.text
        page = await client.get(f"/r/{token}/wechat")
        assert page.status_code == 200
        [qr] = [c for c in stub.calls if c.path == "/cgi-bin/qrcode/create"]
        assert qr.body == {"expire_seconds": 2592000, "action_name": "QR_STR_SCENE", "action_info": {"scene": {"scene_str": scene_for(settings, wang)}}}
        # the image is fetched by meihao and shown inline (the page's CSP loads images from meihao only)
        [shown] = [c for c in stub.calls if c.path == "/cgi-bin/showqrcode"]
        assert shown.query == {"ticket": qr.answer["ticket"]}
        image = base64.b64encode(QR_STAND_IN.encode()).decode()
        assert f'<img src="data:image/svg+xml;base64,{image}"' in page.text
        assert "扫下面的二维码" in page.text and "公众号：荷畔社区" in page.text
        await bind_through_callback(meihao, client, settings, wang)
        page = await client.get(f"/r/{token}/wechat")
        assert "您的微信已绑定" in page.text and "data:image" not in page.text
        csrf = await form_token(client, f"/r/{token}/wechat")
        done = await client.post(f"/r/{token}/wechat/unbind", data={"_csrf_token": csrf})
        assert done.status_code == 303 and done.headers["location"] == f"/r/{token}/wechat?done=unbound"
        assert await bindings() == {}
        assert "已取消：提醒不再发到您的微信" in (await client.get(done.headers["location"])).text
        # a wrong link is the residents' "link not valid" page
        assert (await client.get(f"/r/{token}x/wechat")).status_code == 404
        # WeChat down: the page says so and still names the account
        stub.status_next = [503]
        await WechatToken.delete().where(WechatToken.app_id == APP_ID)
        down = await client.get(f"/r/{token}/wechat")
        assert down.status_code == 200 and "二维码暂时显示不出来" in down.text and "公众号：荷畔社区" in down.text


async def bind_through_callback(meihao, client, settings, resident: int) -> None:
    now = int(meihao.clock.now().timestamp())
    answer = await client.post("/api/wechat/callback", params=signed(now), content=event(OPENID, "SCAN", scene_for(settings, resident)).encode())
    assert answer.text == "success"


# -- doctor and data rights ----------------------------------------------------------------------


async def test_doctor_shows_the_settings_the_token_and_the_bound_residents(meihao, stub):
    from meihao.plugins.wechat import meihao_doctor

    meihao.settings = msgspec.structs.replace(meihao.settings, channels={})
    [check] = await meihao_doctor(meihao)
    assert check.status == "ok" and check.summary.startswith("not set up")
    configure(meihao, stub, app_secret="")
    [check] = await meihao_doctor(meihao)
    assert check.status == "error"
    configure(meihao, stub, callback_token="")
    [check] = await meihao_doctor(meihao)
    assert check.status == "warning"
    assert check.summary == f"template messages, AppID {APP_ID}, 1 templates; 0 residents bound; no access token fetched yet; no callback_token: nobody can bind"
    settings = wechat_settings(configure(meihao, stub))
    from meihao.plugins.wechat import client

    await access_token(settings, client(settings.timeout_seconds))
    [check] = await meihao_doctor(meihao)
    assert check.status == "ok"
    assert check.summary.startswith(f"template messages, AppID {APP_ID}, 1 templates; 0 residents bound; access token until ")
    assert check.summary.endswith("(1 fetches)")
