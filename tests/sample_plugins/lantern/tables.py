"""The lantern plugin's one table."""

from piccolo.columns import ForeignKey, Varchar
from piccolo.table import Table

from meihao.tables import Community


class Riddle(Table, tablename="lantern_riddle"):
    community = ForeignKey(Community, index=True)
    question = Varchar(length=200)
    answer = Varchar(length=100)
