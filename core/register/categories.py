"""The categories grid workers keep for each resident (人口类别): residence status, relation to the head of
household, social assistance (低保 / 低保边缘 / 特困, kept apart) and the special groups (特殊人群) behind their own permission.

Residence status and the relation to the head are columns of the resident (everyone who reads residents
sees them); social assistance and the special groups are tags, so that the sensitive-tag rules (omitted for
non-holders, filters refused, reads audited) apply to them unchanged.
"""

from __future__ import annotations

from typing import Literal, get_args

from meihao.config import DEFAULT_SPECIAL_TAGS as DEFAULT_SPECIAL_TAGS

#: 人口类型 residence status, as the grid's 实有人口 register keeps it ("" not recorded yet):
#: ``registered`` 户籍 (household registration here, living here), ``permanent`` 常住 (living here half a year or
#: more, registered elsewhere), ``floating`` 流动 (living here, registered elsewhere, less than half a year or moving
#: on), ``separated`` 人户分离 (registered here, living elsewhere).
ResidenceStatus = Literal["", "registered", "permanent", "floating", "separated"]
RESIDENCE_STATUSES: tuple[str, ...] = get_args(ResidenceStatus)[1:]
RESIDENCE_WORDS: dict[str, str] = {"registered": "户籍", "permanent": "常住", "floating": "流动", "separated": "人户分离"}

#: 与户主关系 relation to the head of household, the groups of GB/T 4761-2008 家庭关系代码 ("" not recorded yet).
RelationToHead = Literal[
    "", "head", "spouse", "child", "child_in_law", "grandchild", "parent", "parent_in_law", "grandparent", "sibling",
    "other_relative", "non_relative",
]
RELATIONS: tuple[str, ...] = get_args(RelationToHead)[1:]
RELATION_WORDS: dict[str, str] = {
    "head": "户主", "spouse": "配偶", "child": "子女", "child_in_law": "儿媳/女婿", "grandchild": "孙子女",
    "parent": "父母", "parent_in_law": "公婆/岳父母", "grandparent": "祖父母", "sibling": "兄弟姐妹",
    "other_relative": "其他亲属", "non_relative": "非亲属",
}

#: What a register file may write for each relation (besides the words above): the usual single words.
RELATION_SYNONYMS: dict[str, str] = {
    "本人": "head", "户主本人": "head", "妻": "spouse", "夫": "spouse", "妻子": "spouse", "丈夫": "spouse",
    "子": "child", "女": "child", "儿子": "child", "女儿": "child", "长子": "child", "次子": "child", "长女": "child",
    "次女": "child", "儿媳": "child_in_law", "女婿": "child_in_law", "孙子": "grandchild", "孙女": "grandchild",
    "外孙子": "grandchild", "外孙女": "grandchild", "外孙": "grandchild", "父亲": "parent", "母亲": "parent",
    "公公": "parent_in_law", "婆婆": "parent_in_law", "岳父": "parent_in_law", "岳母": "parent_in_law",
    "祖父": "grandparent", "祖母": "grandparent", "外祖父": "grandparent", "外祖母": "grandparent",
    "兄": "sibling", "弟": "sibling", "姐": "sibling", "妹": "sibling", "哥哥": "sibling", "弟弟": "sibling",
    "姐姐": "sibling", "妹妹": "sibling", "其他": "other_relative", "租户": "non_relative", "保姆": "non_relative",
}
RESIDENCE_SYNONYMS: dict[str, str] = {"户籍人口": "registered", "常住人口": "permanent", "流动人口": "floating"}

#: Social assistance (社会救助), kept apart: 低保 ``low_income`` (最低生活保障), 低保边缘 ``low_income_edge``
#: (marginal low-income families), 特困 ``extreme_poverty`` (特困人员供养). A resident has at most one of them:
#: 特困 people are not also on 低保, and 低保边缘 is by definition not 低保. Sensitive tags.
ASSISTANCE_TAGS: tuple[str, ...] = ("low_income", "low_income_edge", "extreme_poverty")
ASSISTANCE_WORDS: dict[str, str] = {"low_income": "低保", "low_income_edge": "低保边缘", "extreme_poverty": "特困"}

#: Special groups (特殊人群) the grid team follows with the justice office, the police and the health centre:
#: 社区矫正对象 ``community_correction``, 刑满释放人员 ``released_prisoner``, 严重精神障碍患者
#: ``severe_mental_disorder``, 社区戒毒社区康复人员 ``drug_rehabilitation``. Tags behind their own permission
#: (:data:`SPECIAL_READ`), a setting (``special_tags``) like the sensitive ones.
SPECIAL_WORDS: dict[str, str] = {
    "community_correction": "社区矫正", "released_prisoner": "刑满释放", "severe_mental_disorder": "严重精神障碍",
    "drug_rehabilitation": "社区戒毒康复",
}

#: The permission that shows the special groups' tags (every read audited) and lets one filter on or set them.
SPECIAL_READ = "meihao.resident.special.read"


def word_to_code(text: str, words: dict[str, str], synonyms: dict[str, str]) -> str | None:
    """The code a register file's word stands for (``户籍`` -> ``registered``), the code itself, or None."""
    text = text.strip()
    if text in words:
        return text
    for code, word in words.items():
        if text == word or text in word.split("/"):
            return code
    return synonyms.get(text)


def assistance_conflict(tags: list[str] | set[str]) -> list[str]:
    """The assistance tags among ``tags`` when there is more than one (a resident has at most one), else ``[]``."""
    found = sorted(set(tags) & set(ASSISTANCE_TAGS))
    return found if len(found) > 1 else []
