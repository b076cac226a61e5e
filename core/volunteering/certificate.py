"""The certificate of service (志愿服务证明): a one-page-or-more A4 PDF from a resident's **verified** records only.

Drawn with reportlab in its Adobe CID font ``STSong-Light`` (宋体, shipped with reportlab and not
embedded: every PDF reader carries or substitutes it; PDFium, Adobe Reader and macOS Preview render
it). Records still to verify, and rejected ones, are never on it.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from meihao.access.audit import audit
from meihao.access.principals import Principal
from meihao.register.tables import Community
from meihao.runtime import Meihao
from meihao.volunteering import ledger
from meihao.volunteering.tables import VolunteerService

FONT = "STSong-Light"
#: Records on one page (the rest continue on the next).
ROWS_PER_PAGE = 28


def _hours(minutes: int) -> str:
    return f"{minutes / 60:.2f}".rstrip("0").rstrip(".")


async def certificate_data(mh: Meihao, principal: Principal, resident_id: int, *, year: int | None = None) -> dict[str, Any]:
    """What the certificate says: the resident, her community, the verified records (of ``year``, or all) and their total."""
    principal.require("meihao.volunteer.read")
    resident = await ledger._resident_in_scope(principal, resident_id, None, None)
    community = await Community.select(Community.name, Community.timezone).where(Community.id == resident["community"]).first()
    where = [VolunteerService.resident == resident_id, VolunteerService.state == "verified"]
    if year is not None:
        if not 2000 <= year <= 2100:
            from meihao.errors import InvalidInput

            raise InvalidInput(f"year: 2000 to 2100, got {year}", field="year")
        where += [VolunteerService.served_on >= date(year, 1, 1), VolunteerService.served_on <= date(year, 12, 31)]
    records = await VolunteerService.select(VolunteerService.served_on, VolunteerService.activity, VolunteerService.minutes).where(
        *where).order_by(VolunteerService.served_on).order_by(VolunteerService.id)
    minutes = sum(r["minutes"] for r in records)
    return {"resident": resident_id, "name": resident["name"], "community": community["name"], "year": year, "records": records,
            "minutes": minutes, "hours": _hours(minutes), "star": ledger.star_of(mh, minutes / 60),
            "issued_on": mh.clock.now().astimezone(ZoneInfo(community["timezone"])).date()}


STARS = ("", "一星", "二星", "三星", "四星", "五星")


def render_certificate(data: dict[str, Any]) -> bytes:
    """The certificate's PDF bytes."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, pageCompression=1)
    pdf.setTitle("志愿服务证明")
    pdf.setAuthor(data["community"])
    width, height = A4
    span = f"{data['year']}年度" if data["year"] else "累计"
    records = data["records"]
    pages = [records[i:i + ROWS_PER_PAGE] for i in range(0, len(records), ROWS_PER_PAGE)] or [[]]
    for number, chunk in enumerate(pages, start=1):
        pdf.setFont(FONT, 24)
        pdf.drawCentredString(width / 2, height - 80, "志愿服务证明")
        pdf.setFont(FONT, 12)
        y = height - 125
        if number == 1:
            star = f"，星级：{STARS[data['star']]}志愿者" if data["star"] else ""
            lines = [
                f"兹证明 {data['name']} 同志在{data['community']}参加志愿服务，",
                f"{span}经社区工作人员核实的志愿服务共 {len(records)} 次、{data['hours']} 小时{star}。",
                "本证明仅依据已核实的志愿服务记录出具，待核实和未通过核实的记录不计入。",
            ]
            for line in lines:
                pdf.drawString(60, y, line)
                y -= 22
            y -= 10
        pdf.setFont(FONT, 11)
        pdf.drawString(60, y, "服务日期")
        pdf.drawString(160, y, "服务内容")
        pdf.drawRightString(width - 60, y, "时长（小时）")
        pdf.line(60, y - 6, width - 60, y - 6)
        y -= 24
        for record in chunk:
            pdf.drawString(60, y, record["served_on"].isoformat())
            pdf.drawString(160, y, record["activity"][:30])
            pdf.drawRightString(width - 60, y, _hours(record["minutes"]))
            y -= 20
        if not records:
            pdf.drawString(60, y, "（尚无已核实的志愿服务记录）")
        pdf.setFont(FONT, 12)
        if number == len(pages):
            pdf.drawRightString(width - 60, 140, f"出具单位：{data['community']}居民委员会（盖章）")
            pdf.drawRightString(width - 60, 115, f"出具日期：{data['issued_on'].year}年{data['issued_on'].month}月{data['issued_on'].day}日")
        pdf.setFont(FONT, 9)
        pdf.drawCentredString(width / 2, 50, f"第 {number} 页，共 {len(pages)} 页")
        pdf.showPage()
    pdf.save()
    return out.getvalue()


async def certificate_pdf(mh: Meihao, principal: Principal, resident_id: int, *, year: int | None = None) -> bytes:
    """The certificate of a resident in the caller's scope (``meihao.volunteer.read``; the 404 of a missing one otherwise),
    from verified records only; audited."""
    data = await certificate_data(mh, principal, resident_id, year=year)
    await audit(principal, "meihao.volunteer.certificate", "resident", resident_id, detail={"year": year, "records": len(data["records"])})
    return render_certificate(data)
