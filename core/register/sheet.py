"""The register's spreadsheet columns (人口台账的列): one list for the import template, the import and the export."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SheetColumn:
    """One column of the register's spreadsheets: its Chinese header, what it holds, how to fill it."""

    header: str
    key: str
    required: bool
    #: how to fill it, for the template's instructions sheet (Chinese, the English meaning beside it)
    note: str
    #: the permission without which the column is left out of the template and the export ("" none)
    needs: str = ""


#: The columns of the template, of an import and of an export, in this order (an export can be imported again).
COLUMNS: tuple[SheetColumn, ...] = (
    SheetColumn("姓名", "name", True, "必填。Name."),
    SheetColumn("性别", "gender", True, "必填，填 男 或 女，与身份证号第17位一致。Gender: 男 (male) or 女 (female)."),
    SheetColumn("出生日期", "birth_date", False, "可不填（从身份证号读出）；填写时如 1950-03-01，须与身份证号一致。Birth date, optional."),
    SheetColumn("身份证号", "id_card", True, "必填，18 位居民身份证号码（末位可为 X），请设为文本格式。ID-card number."),
    SheetColumn("联系电话", "phone", False, "可不填；手机如 13912345678，固话带区号。Phone, optional."),
    SheetColumn("社区", "community", False, "可不填；填写时须为导入的社区名称。Community, optional: must be the one imported into."),
    SheetColumn("网格", "grid", True, "必填，网格名称；本社区没有的网格会新建。Grid by name (created when missing)."),
    SheetColumn("楼栋", "building", True, "必填，楼栋（楼院）名称，如 1号楼。Building by name (created when missing)."),
    SheetColumn("单元", "unit", False, "可不填，如 2单元。Unit, optional."),
    SheetColumn("房号", "room", True, "必填，如 301。Room (the household is matched or created)."),
    SheetColumn("标签", "tags", False, "可不填；多个标签用空格分隔，如 elder living_alone。Tags, space-separated codes."),
    SheetColumn("与户主关系", "relation_to_head", False,
                "可不填；户主、配偶、子女、儿媳/女婿、孙子女、父母、公婆/岳父母、祖父母、兄弟姐妹、其他亲属、非亲属（一户只有一个户主）。"
                "Relation to the head of household (GB/T 4761 groups; one head per household)."),
    SheetColumn("人口类型", "residence_status", False, "可不填；户籍、常住、流动 或 人户分离。Residence status."),
    SheetColumn("救助类别", "assistance", False, "可不填；低保、低保边缘 或 特困，三者只填一个。Social assistance: one of the three.",
                "meihao.resident.sensitive.read"),
    SheetColumn("特殊人群", "special_groups", False, "可不填；社区矫正、刑满释放、严重精神障碍、社区戒毒康复，多个用、分隔。"
                "Special groups (restricted: only staff with the permission see or fill this column).", "meihao.resident.special.read"),
)

#: Every column's header: an import reads any of them (a restricted column only from holders of its permission).
HEADERS: tuple[str, ...] = tuple(c.header for c in COLUMNS)


def export_columns(sensitive: bool, special: bool) -> tuple[SheetColumn, ...]:
    """The columns of a template or an export for a caller who holds (or not) ``meihao.resident.sensitive.read``
    and ``meihao.resident.special.read``: 救助类别 and 特殊人群 only for their holders."""
    held = {"": True, "meihao.resident.sensitive.read": sensitive, "meihao.resident.special.read": special}
    return tuple(c for c in COLUMNS if held[c.needs])


#: Gender as written in a register, and as the register stores it.
GENDERS = {"男": "male", "女": "female", "male": "male", "female": "female"}
GENDER_WORDS = {"male": "男", "female": "女"}
