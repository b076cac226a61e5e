"""Generated residents for the demo: households of plausible families with valid, unique ID-card numbers.

Pure Python and deterministic for a seed; writing them to the database is :mod:`meihao.demo.build`'s job.
"""

from __future__ import annotations

import functools
import random
from bisect import bisect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate

from faker import Faker
from stdnum import numdb
from stdnum.cn import ric

#: Household kinds and their default share of households. A community may override any of them.
DEFAULT_HOUSEHOLD_MIX: dict[str, float] = {
    "elder_alone": 0.10,  # 独居老人 an elder living alone: tagged living_alone
    "elder_couple": 0.13,
    "single": 0.10,
    "couple": 0.13,
    "family_one_child": 0.25,
    "family_two_children": 0.12,
    "three_generations": 0.12,
    "single_parent": 0.05,
}

#: Tag rates among the people each tag concerns (see ``_tags``). A community may override any of them.
DEFAULT_TAG_RATES: dict[str, float] = {
    "chronic_disease": 0.40,  # of people aged 60+; less for the young
    "disabled": 0.05,  # of adults; twice that from 70
    "party_member": 0.08,  # of adults
    "veteran": 0.05,  # of men aged 35+
    "low_income": 0.03,  # of households: every member is tagged
    "volunteer": 0.06,  # of people aged 16-75
}

#: Nobody generated is older than this.
OLDEST_AGE = 99

#: Mobile prefixes whose every 8-digit continuation libphonenumber accepts as a valid CN mobile number.
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139",
    "150", "151", "152", "153", "155", "156", "157", "158", "159",
    "166", "173", "175", "176", "177", "178",
    "180", "181", "182", "183", "185", "186", "187", "188", "189",
    "191", "198", "199",
)  # fmt: skip

#: Second syllables for two-character given names; Faker's zh_CN lists are mostly single characters.
_NAME_HEADS = {"male": "志建国永德家俊子浩文海晓明振", "female": "秀玉丽晓雨思佳雅梓欣淑美桂春"}


def _faker_names() -> tuple[list[str], list[float], dict[str, list[str]]]:
    """Faker's zh_CN surnames (with their frequencies) and given names by gender.

    Faker's own ``name_male()``/``name_female()`` for zh_CN ignore the gender (its one format is
    ``{{last_name}}{{first_name}}``), so names are composed here from the gendered lists.
    """
    person = Faker("zh_CN").provider("faker.providers.person")
    surnames = list(person.last_names)
    weights = [float(w) for w in person.last_names.values()]
    male = [n for n in person.first_names_male if n not in person.first_names_female and n != "红霞"]
    return surnames, weights, {"male": male, "female": list(person.first_names_female)}


_SURNAMES, _SURNAME_WEIGHTS, _GIVEN_NAMES = _faker_names()
_SURNAME_CUM_WEIGHTS = list(accumulate(_SURNAME_WEIGHTS))


@dataclass(slots=True)
class Person:
    """One generated resident; ``id_card`` is the clear number (the writer encrypts it)."""

    name: str
    gender: str
    birth_date: date
    id_card: str
    id_card_hash: str
    phone: str
    preferred_language: str
    tags: list[str] = field(default_factory=list)

    def age_on(self, day: date) -> int:
        return day.year - self.birth_date.year - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


@dataclass(slots=True)
class HouseholdPlan:
    kind: str
    members: list[Person]


class IdCardIssuer:
    """Issues valid (GB 11643) ID-card numbers, unique across one build and the numbers already stored.

    The region code is drawn from the profile's regions that existed in the birth year, as
    ``stdnum.cn.ric.validate`` checks it (济阳: 372430 until 1989, 370125 until 2018, then 370115).
    """

    def __init__(self, regions: Mapping[str, float], lookup_hash: Callable[[str], str], taken_hashes: set[str]) -> None:
        self._regions = dict(regions)
        self._lookup_hash = lookup_hash
        self._taken_hashes = taken_hashes
        self._issued: set[str] = set()
        self._by_year: dict[int, tuple[list[str], list[float]]] = {}

    def _regions_in(self, year: int) -> tuple[list[str], list[float]]:
        found = self._by_year.get(year)
        if found is None:
            codes = [code for code in self._regions if region_existed(code, year)]
            if not codes:
                raise ValueError(f"none of the profile's id_regions existed in {year}")
            found = self._by_year[year] = (codes, list(accumulate(self._regions[c] for c in codes)))
        return found

    def issue(self, rng: random.Random, birth_date: date, gender: str) -> tuple[str, str]:
        """A new number for the birth date and gender (odd 17th digit for men) and its lookup hash."""
        codes, cum_weights = self._regions_in(birth_date.year)
        parity = 1 if gender == "male" else 0
        for _ in range(200):
            region = codes[bisect(cum_weights, rng.random() * cum_weights[-1])]
            sequence = int(rng.random() * 500) * 2 + parity  # (strftime and randrange are slow here)
            body = f"{region}{birth_date.year:04d}{birth_date.month:02d}{birth_date.day:02d}{sequence:03d}"
            number = _with_check_digit(body)
            if number in self._issued:
                continue
            hashed = self._lookup_hash(number)
            if hashed in self._taken_hashes:
                continue
            self._issued.add(number)
            return number, hashed
        raise ValueError(f"no free ID-card number left for {birth_date} {gender}")  # pragma: no cover


@functools.cache
def _region_years(code: str) -> tuple[tuple[int, int], ...]:
    """The years a region code was assigned, as stdnum's location table gives them ("[1989-2018]济阳县")."""
    info = {k: v for _, props in numdb.get("cn/loc").info(code) for k, v in props.items()}
    spans = []
    for county in info.get("county", "").split(","):
        if not county.startswith("["):
            return ((0, 9999),) if county else ()
        start, _, end = county[1:].partition("]")[0].partition("-")
        spans.append((int(start) if start else 0, int(end) if end else 9999))
    return tuple(spans)


def region_existed(code: str, year: int) -> bool:
    """Whether ``stdnum.cn.ric.validate`` accepts ``code`` for someone born in ``year``."""
    return any(start <= year <= end for start, end in _region_years(code))


def _with_check_digit(body: str) -> str:
    # calc_check_digit expects all 18 characters and ignores the last one.
    return body + ric.calc_check_digit(body + "0")


def birth_date_for(rng: random.Random, age: int, as_of: date) -> date:
    """A birth date at which someone is exactly ``age`` on ``as_of``."""
    try:
        birthday = as_of.replace(year=as_of.year - age)
    except ValueError:  # 29 February
        birthday = as_of.replace(year=as_of.year - age, day=28)
    return date.fromordinal(birthday.toordinal() - int(rng.random() * 365))


class PeopleMaker:
    """Builds households for one community: who lives together, their ages, names, numbers and tags."""

    def __init__(
        self,
        rng: random.Random,
        issuer: IdCardIssuer,
        as_of: date,
        household_mix: Mapping[str, float],
        tag_rates: Mapping[str, float],
    ) -> None:
        self.rng = rng
        self.issuer = issuer
        self.as_of = as_of
        self.kinds = [k for k, w in household_mix.items() if w > 0]
        self.kind_weights = list(accumulate(household_mix[k] for k in self.kinds))
        self.rates = tag_rates
        self.phones: set[str] = set()

    # -- households ------------------------------------------------------------

    def households(self, residents: int) -> list[HouseholdPlan]:
        """Households holding exactly ``residents`` people (the last one trimmed to fit)."""
        plans: list[HouseholdPlan] = []
        total = 0
        while total < residents:
            kind = self.kinds[bisect(self.kind_weights, self.rng.random() * self.kind_weights[-1])]
            members = self._members(kind)[: residents - total]
            total += len(members)
            plans.append(self._finish(kind, members))
        return plans

    def _members(self, kind: str) -> list[tuple[int, str, str]]:
        """(age, gender, surname) of each member; children take the father's surname."""
        rng = self.rng
        tri = lambda low, high, mode: int(rng.triangular(low, high, mode))  # noqa: E731
        if kind == "elder_alone":
            return [(tri(60, OLDEST_AGE, 74), "female" if rng.random() < 0.65 else "male", self._surname())]
        if kind == "elder_couple":
            husband = tri(60, 95, 66)
            return [(husband, "male", self._surname()), (max(56, husband - rng.randint(0, 5)), "female", self._surname())]
        if kind == "single":
            return [(tri(18, 60, 27), rng.choice(("male", "female")), self._surname())]
        if kind == "couple":
            husband = tri(22, 64, 52)  # young couples and empty nesters (空巢)
            return [(husband, "male", self._surname()), (max(20, husband - rng.randint(-2, 5)), "female", self._surname())]
        if kind == "single_parent":
            parent_gender = "female" if rng.random() < 0.75 else "male"
            parent = rng.randint(26, 55)
            family = self._surname()
            return [(parent, parent_gender, family), (self._child_age(parent), rng.choice(("male", "female")), family)]
        father = tri(24, 60, 38) if kind != "three_generations" else rng.randint(28, 55)
        mother = max(21, father - rng.randint(-2, 4))
        family = self._surname()
        people = [(father, "male", family), (mother, "female", self._surname())]  # wives keep their surname
        children = {"family_one_child": 1, "family_two_children": 2}.get(kind, 0)
        if kind == "three_generations":
            grandparents = 2 if rng.random() < 0.55 else 1
            children = 1 if grandparents == 2 else rng.randint(1, 2)
            grandfather = min(OLDEST_AGE, father + rng.randint(23, 34))
            if grandparents == 2:
                people += [(grandfather, "male", family), (max(50, grandfather - rng.randint(0, 5)), "female", self._surname())]
            elif rng.random() < 0.6:  # women outlive their husbands
                people.append((max(50, grandfather - rng.randint(0, 5)), "female", self._surname()))
            else:
                people.append((grandfather, "male", family))
        first = self._child_age(mother)
        for n in range(children):
            age = first if n == 0 else max(0, first - rng.randint(1, 8))
            people.append((age, rng.choice(("male", "female")), family))
        return people

    def _child_age(self, parent_age: int) -> int:
        return max(0, parent_age - self.rng.randint(22, 36))

    # -- people ---------------------------------------------------------------

    def _finish(self, kind: str, members: list[tuple[int, str, str]]) -> HouseholdPlan:
        rng = self.rng
        low_income = rng.random() < self.rates["low_income"]
        people = []
        for age, gender, surname in members:
            birth = birth_date_for(rng, age, self.as_of)
            id_card, id_hash = self.issuer.issue(rng, birth, gender)
            tags = self._tags(age, gender, len(members) == 1, low_income)
            people.append(
                Person(
                    name=surname + self._given_name(gender),
                    gender=gender,
                    birth_date=birth,
                    id_card=id_card,
                    id_card_hash=id_hash,
                    phone=self._phone(age),
                    preferred_language="en" if rng.random() < 0.005 else "zh",
                    tags=tags,
                )
            )
        return HouseholdPlan(kind, people)

    def _surname(self) -> str:
        return _SURNAMES[bisect(_SURNAME_CUM_WEIGHTS, self.rng.random() * _SURNAME_CUM_WEIGHTS[-1])]

    def _given_name(self, gender: str) -> str:
        given = self.rng.choice(_GIVEN_NAMES[gender])
        if len(given) == 1 and self.rng.random() < 0.35:
            given = self.rng.choice(_NAME_HEADS[gender]) + given
        return given

    def _phone(self, age: int) -> str:
        """A mobile number in E.164 for most people from 12; none for young children."""
        rng = self.rng
        has_phone = 0.0 if age < 12 else 0.4 if age < 18 else 0.7 if age >= 80 else 0.97
        if rng.random() >= has_phone:
            return ""
        while True:
            phone = f"+86{MOBILE_PREFIXES[int(rng.random() * len(MOBILE_PREFIXES))]}{int(rng.random() * 100_000_000):08d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def _tags(self, age: int, gender: str, alone: bool, low_income: bool) -> list[str]:
        rng, rates = self.rng, self.rates
        tags = []
        chronic = rates["chronic_disease"] * (1.0 if age >= 60 else 0.3 if age >= 40 else 0.05 if age >= 18 else 0.01)
        if rng.random() < chronic:
            tags.append("chronic_disease")
        if rng.random() < rates["disabled"] * (2.0 if age >= 70 else 1.0 if age >= 18 else 0.3):
            tags.append("disabled")
        if alone and age >= 60:
            tags.append("living_alone")
        if low_income:
            tags.append("low_income")
        if age >= 18 and rng.random() < rates["party_member"] * (1.5 if age >= 60 else 1.0):
            tags.append("party_member")
        if gender == "male" and age >= 35 and rng.random() < rates["veteran"]:
            tags.append("veteran")
        if 16 <= age <= 75 and rng.random() < rates["volunteer"]:
            tags.append("volunteer")
        return tags
