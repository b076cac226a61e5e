"""Response headers (issue 11, finding 14): no caching of personal data, nosniff, a CSP on HTML, one
charset, the OpenAPI pages' assets served by meihao, and secret-link tokens kept out of access logs."""

from __future__ import annotations

import logging
import re

from meihao.testing import ANONYMOUS, make_client
from meihao.web.safety import SecretLinkFilter, redact_secret_links, uvicorn_log_config

CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


async def test_personal_data_is_never_cached_and_never_sniffed(meihao, factories):
    place = await factories.place("hepan")
    resident = await factories.resident(place["household_id"])
    async with make_client(meihao) as client:
        answers = {
            "list": await client.get("/api/residents"),
            "one": await client.get(f"/api/residents/{resident['id']}"),
            "reveal": await client.post(f"/api/residents/{resident['id']}/reveal", json={"field": "phone", "reason": "回访核实"}),
            "export": await client.get("/api/residents/export"),
            "feed": await client.get("/api/communities/hepan/calendar.ics"),
            "link": await client.post(f"/api/residents/{resident['id']}/calendar-link"),
            "inbox": await client.get("/api/me/inbox"),
        }
        token = answers["link"].json()["url"].rsplit("/", 1)[1]
        answers["secret feed"] = await client.get(f"/api/calendar/{token}")
        health = await client.get("/health")
    for name, answer in answers.items():
        assert answer.status_code == 200, (name, answer.text)
        assert answer.headers["cache-control"] == "no-store", name
        assert answer.headers["x-content-type-options"] == "nosniff", name
    assert health.headers["x-content-type-options"] == "nosniff"
    # the charset once
    assert answers["export"].headers["content-type"] == "text/csv; charset=utf-8"
    assert answers["feed"].headers["content-type"] == "text/calendar; charset=utf-8"
    assert answers["secret feed"].headers["content-type"] == "text/calendar; charset=utf-8"


async def test_openapi_pages_load_nothing_from_elsewhere(meihao):
    async with make_client(meihao, ANONYMOUS) as client:
        for page in ("/schema/swagger", "/schema/redoc"):
            answer = await client.get(page)
            assert answer.status_code == 200
            assert answer.headers["content-security-policy"] == CSP
            assert answer.headers["x-content-type-options"] == "nosniff"
            head = answer.text.split("</head>")[0]
            assert re.findall(r"""(?:src|href)=['"](https?:)?//""", head) == [], page
            for asset in re.findall(r"""(?:src|href)=['"](/schema/static/[^'"]+)""", head):
                served = await client.get(asset)
                assert served.status_code == 200, asset
                assert served.headers["cache-control"] == "max-age=86400, public"
                assert len(served.content) > 100_000, asset
        assert "/schema/static/swagger-ui-bundle.js" in (await client.get("/schema/swagger")).text
        assert "/schema/static/redoc.standalone.js" in (await client.get("/schema/redoc")).text


def test_secret_link_tokens_are_kept_out_of_the_access_log():
    assert redact_secret_links("GET /api/calendar/Zq3-x_9.ics HTTP/1.1") == "GET /api/calendar/… HTTP/1.1"
    assert redact_secret_links("/api/inbox/Zq3-x_9/17/read") == "/api/inbox/…/17/read"
    assert redact_secret_links("/api/reminders/unsubscribe/Zq3?x=1") == "/api/reminders/unsubscribe/…?x=1"
    assert redact_secret_links("/api/residents/17") == "/api/residents/17"
    # uvicorn's access record: (client, method, path, http version, status)
    record = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d', ("1.2.3.4:5", "GET", "/api/calendar/Zq3.ics", "1.1", 200), None)
    assert SecretLinkFilter().filter(record) is True
    assert record.getMessage() == '1.2.3.4:5 - "GET /api/calendar/… HTTP/1.1" 200'
    config = uvicorn_log_config()
    assert config["handlers"]["access"]["filters"] == ["secret_links"]
    assert config["filters"]["secret_links"] == {"()": SecretLinkFilter}
