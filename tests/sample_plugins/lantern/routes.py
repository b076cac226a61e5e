"""Routes of the lantern plugin, mounted by the kernel under /api/communities/{slug}/lantern."""

from typing import Any

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from meihao import requires

from .tables import Riddle


class RiddleIn(msgspec.Struct):
    question: str
    answer: str


class RiddleOut(msgspec.Struct):
    id: int
    question: str


class LanternController(Controller):
    path = "/riddles"

    @get("/", guards=[requires("lantern.riddle.read")])
    async def list_riddles(self, community: NamedDependency[dict[str, Any]]) -> list[RiddleOut]:
        rows = await Riddle.select(Riddle.id, Riddle.question).where(Riddle.community == community["id"]).order_by(Riddle.id)
        return [RiddleOut(**r) for r in rows]

    @post("/", guards=[requires("lantern.riddle.write")])
    async def add_riddle(self, community: NamedDependency[dict[str, Any]], data: JSONBody[RiddleIn]) -> RiddleOut:
        riddle = Riddle(community=community["id"], question=data.question, answer=data.answer)
        await riddle.save()
        return RiddleOut(id=riddle.id, question=riddle.question)
