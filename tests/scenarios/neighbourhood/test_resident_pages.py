"""A resident proposes and seconds motions through her inbox link (/r/{token}/neighbourhood/motions), as herself."""

from __future__ import annotations

import re
from html import unescape

from meihao.access.tables import AuditLog
from meihao.reminders.tokens import make_token
from meihao.testing import ANONYMOUS, make_page_client

from .conftest import BASE, body_with_members


def texts(html: str, css_class: str) -> list[str]:
    return [unescape(" ".join(re.sub(r"<[^>]+>", "", t).split())) for t in re.findall(
        rf'<(?:p|h3)[^>]* class="{css_class}"[^>]*>(.*?)</(?:p|h3)>', html, re.S)]


def csrf(html: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1)


async def test_a_resident_proposes_and_neighbours_second_through_their_links(hepan):
    w = hepan
    async with w.client("community_admin") as admin:
        body, _ = await body_with_members(w, admin, "council", ["李明", "赵芳"])
    wang, li, zhang = (w.residents[n]["id"] for n in ("王秀英", "李明", "张伟"))
    mine = f"/r/{await make_token(w.mh, 'resident', wang, 'inbox')}/neighbourhood/motions"
    async with make_page_client(w.mh, ANONYMOUS) as client:
        page = await client.get(mine)
        assert page.status_code == 200, page.text
        assert re.findall(r"<h1[^>]*>(.*?)</h1>", page.text) == ["社区议事：提议和附议"]
        assert "您所在网格暂时没有征集附议的提议。" in page.text and "您还没有提出过提议。" in page.text
        empty = await client.post(f"{mine}/propose", data={"_csrf_token": csrf(page.text), "body": str(body["id"]), "title": "  "})
        assert (empty.status_code, texts(empty.text, "r-alert")) == (400, ["请简要写明您的提议（不超过200字）。"])
        other = await client.post(f"{mine}/propose", data={"_csrf_token": csrf(page.text), "body": "987654", "title": "楼道加装扶手"})
        assert (other.status_code, texts(other.text, "r-alert")) == (400, ["请选择提交给哪个议事组织。"])
        assert 'value="楼道加装扶手"' in other.text
        done = await client.post(f"{mine}/propose", data={"_csrf_token": csrf(page.text), "body": str(body["id"]), "title": "楼道加装扶手",
                                                          "text": "三单元老人多，上下楼不便", "proposer_id": str(li)})
        assert (done.status_code, done.headers["location"]) == (303, f"{mine}?done=proposed#mine")
        page = await client.get(f"{mine}?done=proposed")
        assert texts(page.text, "r-notice") == ["提议已提交。有3位邻居附议后，将提交社区党组织审核。"]
        assert texts(page.text, "r-status") == ["征集附议中 · 附议0/3人"]
    async with w.client("community_admin") as admin:
        motion = (await admin.get(f"{BASE}/motions")).json()[0]
    assert (motion["title"], motion["proposer"], motion["grid"]) == ("楼道加装扶手", wang, w.grids["A"])
    # 李明 (grid A) seconds it; once only
    his = f"/r/{await make_token(w.mh, 'resident', li, 'inbox')}/neighbourhood/motions"
    async with make_page_client(w.mh, ANONYMOUS) as client:
        page = await client.get(his)
        assert texts(page.text, "r-places") == ["附议0/3人"]
        ok = await client.post(f"{his}/{motion['id']}/second", data={"_csrf_token": csrf(page.text)})
        assert (ok.status_code, ok.headers["location"]) == (303, f"{his}?done=seconded#m{motion['id']}")
        again = await client.post(f"{his}/{motion['id']}/second", data={"_csrf_token": csrf(page.text)})
        assert (again.status_code, texts(again.text, "r-alert")) == (409, ["您已经附议过这项提议。"])
    # 王秀英 cannot second her own (it is not listed to her; posting it is refused); 张伟 (grid B) does not reach it
    async with make_page_client(w.mh, ANONYMOUS) as client:
        own = await client.post(f"{mine}/{motion['id']}/second", data={"_csrf_token": csrf((await client.get(mine)).text)})
        assert (own.status_code, texts(own.text, "r-alert")) == (409, ["这是您本人的提议，需要其他居民附议。"])
        theirs = f"/r/{await make_token(w.mh, 'resident', zhang, 'inbox')}/neighbourhood/motions"
        page = await client.get(theirs)
        assert "楼道加装扶手" not in page.text
        hidden = await client.post(f"{theirs}/{motion['id']}/second", data={"_csrf_token": csrf(page.text)})
        missing = await client.post(f"{theirs}/987654/second", data={"_csrf_token": csrf(page.text)})
        assert hidden.status_code == missing.status_code == 404
    async with w.client("community_admin") as admin:
        assert (await admin.get(f"{BASE}/motions/{motion['id']}")).json()["seconds"] == 1
    actors = [(r["actor"], r["action"]) for r in await AuditLog.select(AuditLog.actor, AuditLog.action).where(
        AuditLog.action.like("neighbourhood.motion.%")).order_by(AuditLog.id)]
    assert actors == [(f"resident {wang} (inbox link)", "neighbourhood.motion.propose"), (f"resident {li} (inbox link)", "neighbourhood.motion.second")]

