"""Hand-overs (转办): one scene passes a matter to another, keeping the link both ways.

A matter the service desk cannot solve becomes a grid event in governance; an elder visit that
flags a health concern becomes a referral in health; a shop complaint in commerce becomes a
grid event. The scenes never import each other: the receiving scene declares an *intake*
(``meihao_intakes``), the sending scene calls :func:`hand_over` with the intake's name, and the
kernel checks that the receiving scene is installed and switched on in the community before it
calls the intake.

The intake runs inside the caller's transaction (open one with ``meihao.transaction`` around
the call and the update of your own row, and the hand-over and the link are saved together or
not at all). It receives a :class:`HandOver` and the principal who handed it over, creates its
own record and answers a :class:`Receipt` naming it. The kernel writes one audit row
(``handover``), so the trail says who passed what where.

The receiving scene trusts the hand-over: the sender has checked its own permission on the
matter, and the receiver's record lands in the same community. Grid, building and resident, if
given, must belong to that community; the kernel checks them before the intake runs.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from meihao.errors import Conflict, InvalidInput, NotFound
from meihao.hooks.declarations import HandOver, Intake, Receipt

if TYPE_CHECKING:
    from meihao.access.principals import Principal
    from meihao.runtime import Meihao

__all__ = ["HandOver", "Intake", "Receipt", "can_hand_over", "hand_over", "intakes"]

_SOURCE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*:[A-Za-z0-9_-]+$")


def intakes(mh: Meihao) -> dict[str, Intake]:
    """Every declared intake by name (whether or not its scene is on anywhere)."""
    return mh.plugins.intakes_by_name


async def can_hand_over(mh: Meihao, intake: str, community: str) -> bool:
    """Whether ``intake`` is installed and its scene switched on in ``community`` (a slug): show the button or not."""
    from meihao.register.communities import get_community
    from meihao.register.community_scenarios import is_enabled

    if intake not in intakes(mh):
        return False
    try:
        info = await get_community(community)
    except NotFound:
        return False
    return await is_enabled(info.id, _scenario_of(intake))


async def hand_over(mh: Meihao, intake: str, handover: HandOver, principal: Principal) -> Receipt:
    """Pass ``handover`` to the scene that declared ``intake``; its :class:`Receipt`.

    Raises ``NotFound`` when no installed scene declares ``intake``, ``Conflict`` when its scene
    is off in the community (the message names both), ``InvalidInput`` for a malformed
    ``source``/``title`` or a grid, building or resident outside the community.
    """
    from meihao.access.audit import audit
    from meihao.register.communities import get_community
    from meihao.register.community_scenarios import is_enabled

    declared = intakes(mh).get(intake)
    if declared is None:
        raise NotFound(f"no installed scene takes hand-overs of kind {intake!r}")
    if not _SOURCE.match(handover.source):
        raise InvalidInput(f"source must name the sender's record as 'scene.kind:id', not {handover.source!r}")
    if not handover.title.strip():
        raise InvalidInput("a hand-over needs a title")
    community = await get_community(handover.community)
    scenario = _scenario_of(intake)
    if not await is_enabled(community.id, scenario):
        raise Conflict(f"{scenario} is not switched on in {community.name} ({community.slug}): the matter cannot be handed over to it there")
    await _check_places(community.id, handover)
    receipt = await declared.accept(handover, mh, principal)
    if not isinstance(receipt, Receipt):
        raise TypeError(f"intake {intake!r} must answer a meihao.Receipt, not {type(receipt).__name__}")
    await audit(
        principal, "handover", intake, receipt.reference, community_id=community.id,
        detail={"source": handover.source, "reference": receipt.reference},
    )
    return receipt


def _scenario_of(intake: str) -> str:
    return intake.split(".", 1)[0]


async def _check_places(community_id: int, handover: HandOver) -> None:
    from meihao.register.tables import Building, Grid, Resident

    checks = (("grid", handover.grid_id, Grid), ("building", handover.building_id, Building), ("resident", handover.resident_id, Resident))
    for what, row_id, table in checks:
        if row_id is not None and not await table.exists().where(table.id == row_id, table.community == community_id):
            raise InvalidInput(f"{what} {row_id} is not in this community")
