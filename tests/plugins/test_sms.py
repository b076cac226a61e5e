"""The SMS channel against a local stub of Alibaba Cloud SMS and Tencent Cloud SMS (tests/plugins/sms_stub.py):
approved templates, signed requests, the providers' error codes, masked numbers, caps and segments."""

from __future__ import annotations

import logging
from datetime import datetime

import msgspec
import pytest
from prometheus_client import REGISTRY

from meihao import FakeClock, Message
from meihao.plugins.sms import PermanentFailure, segments, send_sms
from meihao.plugins.sms.tables import SmsSent
from meihao.reminders.activities import ActivityIn, create_activity
from meihao.reminders.recipients import set_contact
from meihao.reminders.tables import Reminder
from meihao.testing import drain
from tests.plugins.sms_stub import SmsStub
from tests.reminders.conftest import build_street
from tests.reminders.test_reminders import SHANGHAI, at

KEY_ID = "LTAI5tTestKeyId"
SECRET = "a provider secret for tests"
PHONE = "13912345678"
TEMPLATE = {"id": "SMS_476100001", "text": "您好，${title}将于${time}在${place}举行，欢迎参加。", "params": {"title": "title", "time": "when", "place": "venue"}}


@pytest.fixture
def stub():
    with SmsStub(KEY_ID, SECRET) as server:
        yield server


def configure(meihao, stub: SmsStub, **given) -> dict:
    values = {
        "provider": "aliyun", "endpoint": stub.url, "access_key_id": KEY_ID, "access_key_secret": SECRET,
        "sign_name": "荷畔街道", "templates": {"culture": TEMPLATE}, **given,
    }
    meihao.settings = msgspec.structs.replace(meihao.settings, channels={"sms": values})
    return values


def show(**fields) -> ActivityIn:
    values = dict(
        scene="culture", title="戏曲进社区", venue="文化广场", starts_at=datetime(2026, 3, 7, 14, 0), ends_at=datetime(2026, 3, 7, 16, 0),
        audience={"residents": []}, reminder_offsets=[1440], channels=["sms"],
    )
    values.update(fields)
    return ActivityIn(**values)


async def remind_one(meihao, stub, **activity):
    street = await build_street(meihao)
    resident = street.residents["王秀英"]["id"]
    await set_contact(meihao, "resident", resident, "sms", PHONE)
    await create_activity(meihao, "hepan", show(audience={"residents": [resident]}, **activity))
    street.clock.set(at(2026, 3, 6, 14, 0))
    return street, await drain(street.engine)


def counter(name: str, provider: str) -> float:
    return REGISTRY.get_sample_value(name, {"provider": provider}) or 0.0


async def test_aliyun_send_is_signed_fills_the_template_and_is_recorded(meihao, stub):
    configure(meihao, stub)
    before = counter("meihao_sms_segments_total", "aliyun")
    street, result = await remind_one(meihao, stub)
    assert result.sent == 1
    [hit] = stub.hits
    assert hit.provider == "aliyun" and hit.signature_ok is True
    [reminder] = await Reminder.select(Reminder.id, Reminder.status)
    assert reminder["status"] == "sent"
    assert hit.params["Action"] == "SendSms"
    assert hit.params["Version"] == "2017-05-25"
    assert hit.params["PhoneNumbers"] == PHONE
    assert hit.params["SignName"] == "荷畔街道"
    assert hit.params["TemplateCode"] == "SMS_476100001"
    assert hit.params["TemplateParam"] == '{"title":"戏曲进社区","time":"3月7日（周六）下午2点","place":"文化广场"}'
    assert hit.params["OutId"] == f"meihao-reminder-{reminder['id']}"
    [row] = await SmsSent.select(SmsSent.provider, SmsSent.provider_id, SmsSent.segments, SmsSent.local_date, SmsSent.local_month)
    # 【荷畔街道】您好，戏曲进社区将于3月7日（周六）下午2点在文化广场举行，欢迎参加。 : 42 characters, one segment
    assert row == {"provider": "aliyun", "provider_id": "900619746936498440^1", "segments": 1,
                   "local_date": datetime(2026, 3, 6).date(), "local_month": "2026-03"}
    assert counter("meihao_sms_segments_total", "aliyun") == before + 1


async def test_tencent_send_is_signed_with_tc3_and_positional_parameters(meihao, stub):
    configure(meihao, stub, provider="tencent", sdk_app_id="1400000001", templates={"culture": {**TEMPLATE, "id": "2048001"}})
    street, result = await remind_one(meihao, stub)
    assert result.sent == 1
    [hit] = stub.hits
    assert hit.provider == "tencent" and hit.signature_ok is True
    assert hit.headers["X-TC-Action"] == "SendSms" and hit.headers["X-TC-Version"] == "2021-01-11"
    assert hit.params["PhoneNumberSet"] == ["+8613912345678"]
    assert hit.params["SmsSdkAppId"] == "1400000001"
    assert hit.params["SignName"] == "荷畔街道"
    assert hit.params["TemplateId"] == "2048001"
    assert hit.params["TemplateParamSet"] == ["戏曲进社区", "3月7日（周六）下午2点", "文化广场"]
    assert [row["provider_id"] for row in await SmsSent.select(SmsSent.provider_id)] == ["2028:1"]


async def test_a_reminder_without_a_mapped_template_fails_at_once_saying_so(meihao, stub):
    configure(meihao, stub)
    street, result = await remind_one(meihao, stub, scene="markets")
    assert result.failed == 1 and result.retried == 0
    assert stub.hits == []
    [row] = await Reminder.select(Reminder.status, Reminder.last_error, Reminder.attempts)
    assert row["status"] == "failed" and row["attempts"] == 1
    assert row["last_error"] == (
        "PermanentFailure: no approved SMS template for 'markets': map one in [channels.sms.templates.markets] (SMS text cannot be free-form)"
    )


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
async def test_an_invalid_number_fails_at_once_with_the_providers_words_and_the_number_masked(meihao, stub, provider, caplog):
    configure(meihao, stub, provider=provider, sdk_app_id="1400000001")
    code = "isv.MOBILE_NUMBER_ILLEGAL" if provider == "aliyun" else "InvalidParameterValue.IncorrectPhoneNumber"
    number = PHONE if provider == "aliyun" else "+86" + PHONE
    stub.refuse[number] = [(code, f"手机号码格式错误：{PHONE}")]
    caplog.set_level(logging.DEBUG)
    street, result = await remind_one(meihao, stub)
    assert result.failed == 1 and result.retried == 0
    [row] = await Reminder.select(Reminder.status, Reminder.last_error)
    assert row["status"] == "failed"
    assert row["last_error"] == f"PermanentFailure: to 139****5678: {provider} {code}: 手机号码格式错误：139****5678"
    # nothing meihao or httpx logs names the number (aiosqlite's DEBUG lines echo SQL parameters: the kernel's contact insert)
    assert [r.getMessage() for r in caplog.records if r.name != "aiosqlite" and PHONE in r.getMessage()] == []
    assert await SmsSent.count() == 0


@pytest.mark.parametrize(("provider", "code"), [("aliyun", "isv.BUSINESS_LIMIT_CONTROL"), ("tencent", "LimitExceeded.PhoneNumberThirtySecondLimit")])
async def test_throttling_is_retried_and_then_sent(meihao, stub, provider, code):
    configure(meihao, stub, provider=provider, sdk_app_id="1400000001")
    stub.refuse[PHONE if provider == "aliyun" else "+86" + PHONE] = [(code, "触发号码天级流控")]
    street, result = await remind_one(meihao, stub)
    assert result.retried == 1 and result.sent == 0
    [row] = await Reminder.select(Reminder.last_error)
    assert row["last_error"] == f"RuntimeError: to 139****5678: {provider} {code}: 触发号码天级流控"
    street.clock.advance(seconds=30)
    assert (await drain(street.engine)).sent == 1
    assert len(stub.hits) == 2


async def test_a_provider_5xx_is_retried(meihao, stub):
    configure(meihao, stub)
    stub.status_next = [503]
    street, result = await remind_one(meihao, stub)
    assert result.retried == 1
    [row] = await Reminder.select(Reminder.last_error)
    assert row["last_error"] == "RuntimeError: aliyun: HTTP 503"


async def test_a_wrong_secret_is_refused_by_the_provider_and_fails_at_once(meihao, stub):
    values = configure(meihao, stub)
    meihao.settings = msgspec.structs.replace(meihao.settings, channels={"sms": {**values, "access_key_secret": "wrong"}})
    street, result = await remind_one(meihao, stub)
    assert result.failed == 1
    [row] = await Reminder.select(Reminder.last_error)
    assert row["last_error"] == (
        "PermanentFailure: to 139****5678: aliyun SignatureDoesNotMatch: Specified signature is not matched with our calculation."
    )


# -- caps ------------------------------------------------------------------------------------


def message(n: int, recipient_id: int, sent_at: datetime, settings: dict, community: str = "hepan") -> Message:
    return Message(
        delivery_id=f"meihao-reminder-{n}", recipient_kind="resident", recipient_id=recipient_id, recipient_name="王秀英", address=PHONE,
        language="zh", subject="活动提醒", body="…", unsubscribe_url="", community=community, sent_at=sent_at, settings=settings,
        activity={"scene": "culture", "source": "", "title": "戏曲进社区", "venue": "文化广场", "when": "3月7日（周六）下午2点", "timezone": "Asia/Shanghai"},
    )


async def test_the_daily_cap_per_resident_at_the_cap_and_one_over(meihao, stub):
    settings = configure(meihao, stub, resident_daily_cap=2)
    day = datetime(2026, 3, 6, 9, 0, tzinfo=SHANGHAI)
    await send_sms(message(1, 7, day, settings))
    await send_sms(message(2, 7, day, settings))  # the second: at the cap, sent
    with pytest.raises(PermanentFailure) as refused:
        await send_sms(message(3, 7, day, settings))  # one over
    assert str(refused.value) == "SMS daily cap reached: 2 messages to this recipient today (resident_daily_cap = 2)"
    await send_sms(message(4, 8, day, settings))  # another resident is not held back
    # 23:59 Shanghai is still the same day; 00:00 the next is a new one
    with pytest.raises(PermanentFailure):
        await send_sms(message(5, 7, datetime(2026, 3, 6, 23, 59, tzinfo=SHANGHAI), settings))
    await send_sms(message(6, 7, datetime(2026, 3, 7, 0, 0, tzinfo=SHANGHAI), settings))
    assert len(stub.hits) == 4
    # a retry of a message already accepted and recorded sends nothing
    await send_sms(message(1, 7, day, settings))
    assert len(stub.hits) == 4


async def test_the_monthly_cap_per_community_at_the_cap_and_one_over(meihao, stub):
    settings = configure(meihao, stub, community_monthly_cap=3)
    for n in (1, 2, 3):  # the third: at the cap
        await send_sms(message(n, 100 + n, datetime(2026, 3, n, 9, 0, tzinfo=SHANGHAI), settings))
    with pytest.raises(PermanentFailure) as refused:
        await send_sms(message(4, 104, datetime(2026, 3, 31, 23, 59, tzinfo=SHANGHAI), settings))
    assert str(refused.value) == "SMS monthly cap reached: 3 messages in hepan in 2026-03 (community_monthly_cap = 3)"
    await send_sms(message(5, 105, datetime(2026, 3, 20, 9, 0, tzinfo=SHANGHAI), settings, community="xinyuan"))  # another community
    await send_sms(message(6, 106, datetime(2026, 4, 1, 0, 0, tzinfo=SHANGHAI), settings))  # a new month
    assert len(stub.hits) == 5


def test_segments_70_characters_fit_one_longer_texts_go_in_67s():
    assert segments("字" * 70) == 1
    assert segments("字" * 71) == 2
    assert segments("字" * 134) == 2
    assert segments("字" * 135) == 3


async def test_settings_that_cannot_work_fail_at_once_naming_what_is_missing(meihao, stub):
    settings = configure(meihao, stub, sign_name="")
    with pytest.raises(PermanentFailure) as refused:
        await send_sms(message(1, 7, datetime(2026, 3, 6, 9, 0, tzinfo=SHANGHAI), settings))
    assert str(refused.value) == "[channels.sms] settings: sign_name (the street's approved signature, 签名) is not set"
    settings = configure(meihao, stub, templates={"culture": {**TEMPLATE, "params": {"title": "phone"}}})
    with pytest.raises(PermanentFailure) as refused:
        await send_sms(message(1, 7, datetime(2026, 3, 6, 9, 0, tzinfo=SHANGHAI), settings))
    assert "templates.culture.params.title: 'phone' is not one of title, venue, when, starts_at, ends_at, description" in str(refused.value)
    assert stub.hits == []


async def test_doctor_shows_the_settings_and_this_months_cost_and_warns_at_the_cap(meihao, stub):
    from meihao.plugins.sms import meihao_doctor

    settings = configure(meihao, stub, community_monthly_cap=2)
    meihao.clock = FakeClock(datetime(2026, 3, 20, 9, 0, tzinfo=SHANGHAI))
    [check] = await meihao_doctor(meihao)
    assert (check.status, check.summary) == ("ok", "aliyun, signature 【荷畔街道】, 1 templates; 2026-03: 0 messages, 0 segments")
    long = {**TEMPLATE, "text": "您好，" + "字" * 80 + "${title}"}  # 【荷畔街道】 + 83 + 5: 94 characters, 2 segments
    settings["templates"] = {"culture": long}
    await send_sms(message(1, 7, datetime(2026, 3, 6, 9, 0, tzinfo=SHANGHAI), settings))
    short = {**settings, "templates": {"culture": TEMPLATE}}  # 42 characters: 1 segment
    await send_sms(message(2, 8, datetime(2026, 3, 6, 9, 0, tzinfo=SHANGHAI), short, community="xinyuan"))
    [check] = await meihao_doctor(meihao)
    assert (check.status, check.summary) == ("ok", "aliyun, signature 【荷畔街道】, 1 templates; 2026-03: 2 messages, 3 segments (hepan 1/2, xinyuan 1/1)")
    await send_sms(message(3, 9, datetime(2026, 3, 7, 9, 0, tzinfo=SHANGHAI), settings))
    [check] = await meihao_doctor(meihao)
    assert check.status == "warning"
    assert check.summary.endswith("2026-03: 3 messages, 5 segments (hepan 2/4, xinyuan 1/1); at the monthly cap (2): hepan")
    meihao.settings = msgspec.structs.replace(meihao.settings, channels={"sms": {**settings, "sign_name": ""}})
    [check] = await meihao_doctor(meihao)
    assert (check.status, check.summary) == ("error", "[channels.sms] settings: sign_name (the street's approved signature, 签名) is not set")


# -- delivery receipts ------------------------------------------------------------------------


async def test_receipts_with_the_right_secret_mark_a_message_once_and_change_nothing_else(meihao, stub):
    from meihao.testing import ANONYMOUS, make_client

    settings = configure(meihao, stub, receipt_token="r3ceipt-secret-for-tests")
    await send_sms(message(1, 7, datetime(2026, 3, 6, 9, 0, tzinfo=SHANGHAI), settings))
    await send_sms(message(2, 8, datetime(2026, 3, 6, 9, 0, tzinfo=SHANGHAI), settings))
    delivered = {"phone_number": "13912345678", "send_time": "2026-03-06 09:00:01", "report_time": "2026-03-06 09:00:05",
                 "success": True, "err_code": "DELIVERED", "err_msg": "用户接收成功", "sms_size": "1",
                 "biz_id": "900619746936498440^1", "out_id": "meihao-reminder-1"}
    failed = {**delivered, "success": False, "err_code": "MK:0001", "err_msg": "空号", "biz_id": "900619746936498440^2",
              "out_id": "meihao-reminder-2"}

    async def statuses():
        return {row["delivery_id"]: row["status"] for row in await SmsSent.select(SmsSent.delivery_id, SmsSent.status)}

    async with make_client(meihao, ANONYMOUS) as client:
        wrong = await client.post("/api/sms/receipts/aliyun/not-the-secret", json=[delivered])
        assert wrong.status_code == 403
        assert await statuses() == {"meihao-reminder-1": "sent", "meihao-reminder-2": "sent"}
        # another provider than the configured one is no receipt address at all
        assert (await client.post("/api/sms/receipts/tencent/r3ceipt-secret-for-tests", json=[])).status_code == 404

        unknown = {**delivered, "biz_id": "000000000000000000^9"}
        answer = await client.post("/api/sms/receipts/aliyun/r3ceipt-secret-for-tests", json=[delivered, failed, unknown])
        assert answer.status_code == 200 and answer.json() == {"code": 0, "msg": "成功"}
        assert await statuses() == {"meihao-reminder-1": "delivered", "meihao-reminder-2": "undelivered"}

        # the same push again, or a contrary one later, changes nothing
        replay = await client.post("/api/sms/receipts/aliyun/r3ceipt-secret-for-tests", json=[{**delivered, "success": False}, {**failed, "success": True}])
        assert replay.status_code == 200
        assert await statuses() == {"meihao-reminder-1": "delivered", "meihao-reminder-2": "undelivered"}


async def test_tencent_receipts_name_the_serial_number(meihao, stub):
    from meihao.testing import ANONYMOUS, make_client

    settings = configure(meihao, stub, provider="tencent", sdk_app_id="1400000001", receipt_token="t-secret")
    await send_sms(message(1, 7, datetime(2026, 3, 6, 9, 0, tzinfo=SHANGHAI), settings))
    receipt = {"user_receive_time": "2026-03-06 09:00:05", "nationcode": "86", "mobile": "13912345678", "report_status": "SUCCESS",
               "errmsg": "DELIVRD", "description": "用户短信送达成功", "sid": "2028:1"}
    async with make_client(meihao, ANONYMOUS) as client:
        answer = await client.post("/api/sms/receipts/tencent/t-secret", json=[receipt])
        assert answer.status_code == 200 and answer.json() == {"result": 0, "errmsg": "OK"}
    assert [row["status"] for row in await SmsSent.select(SmsSent.status)] == ["delivered"]


async def test_tencent_whole_request_errors_through_the_sdk_retry_or_fail_by_code(meihao, stub):
    values = configure(meihao, stub, provider="tencent", sdk_app_id="1400000001")
    stub.whole_request_error = [("RequestLimitExceeded", "请求的次数超过了频率限制")]
    street, result = await remind_one(meihao, stub)
    assert result.retried == 1
    [row] = await Reminder.select(Reminder.last_error)
    assert row["last_error"] == "RuntimeError: to 139****5678: tencent RequestLimitExceeded: 请求的次数超过了频率限制"
    meihao.settings = msgspec.structs.replace(meihao.settings, channels={"sms": {**values, "access_key_secret": "wrong"}})
    street.clock.advance(seconds=30)
    result = await drain(street.engine)
    assert result.failed == 1
    [row] = await Reminder.select(Reminder.last_error)
    assert row["last_error"] == (
        "PermanentFailure: to 139****5678: tencent AuthFailure.SignatureFailure: The provided credentials could not be validated."
    )
