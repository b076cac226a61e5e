"""Quorum and majority as whole-number arithmetic: every threshold and each side of it."""

from __future__ import annotations

import pytest

from meihao.scenarios.neighbourhood.schemas import NeighbourhoodSettings
from meihao.scenarios.neighbourhood.services.tally import carried, quorum_met


@pytest.mark.parametrize(("eligible", "present", "met"), [
    (10, 5, False),   # exactly half is not more than half
    (10, 6, True),
    (9, 4, False),
    (9, 5, True),     # 5 of 9 is more than half
    (1, 1, True),
    (0, 0, False),    # nobody entitled: no quorum
])
def test_residents_meeting_needs_more_than_half(eligible, present, met):
    assert quorum_met(">1/2", eligible, present) is met


@pytest.mark.parametrize(("eligible", "present", "met"), [
    (9, 5, False),
    (9, 6, True),     # exactly two thirds is enough (at least)
    (10, 6, False),   # 6 of 10 is less than two thirds
    (10, 7, True),
    (8, 5, False),
    (8, 6, True),
])
def test_a_council_needs_at_least_two_thirds(eligible, present, met):
    assert quorum_met(">=2/3", eligible, present) is met


@pytest.mark.parametrize(("present", "ayes", "noes", "passed"), [
    (10, 5, 5, False),   # a tie fails
    (10, 5, 0, False),   # half of those present is not more than half: five abstained
    (10, 6, 0, True),
    (9, 5, 4, True),
    (9, 4, 1, False),    # abstentions count against under the "present" rule
])
def test_passed_by_more_than_half_of_those_present(present, ayes, noes, passed):
    assert carried("present", present, ayes, noes) is passed


@pytest.mark.parametrize(("ayes", "noes", "passed"), [(3, 3, False), (4, 3, True), (1, 0, True), (0, 0, False), (2, 3, False)])
def test_passed_by_more_ayes_than_noes(ayes, noes, passed):
    assert carried("cast", 10, ayes, noes) is passed  # abstentions are recorded, not counted


def test_the_defaults_and_bad_rules():
    s = NeighbourhoodSettings()
    assert (s.residents_meeting_quorum, s.residents_meeting_pass, s.council_quorum, s.council_pass) == (">1/2", "present", ">=2/3", "cast")
    assert (s.seconders_required, s.agenda_days_ahead, s.reminder_offsets, s.notice_days) == (3, 3, [4320, 120], 5)
    with pytest.raises(ValueError, match="council_quorum: write it as"):
        NeighbourhoodSettings(council_quorum="2/3")
    with pytest.raises(ValueError, match="council_quorum: a fraction"):
        NeighbourhoodSettings(council_quorum=">=3/2")
    with pytest.raises(ValueError, match="council_pass: present or cast"):
        NeighbourhoodSettings(council_pass="most")
    with pytest.raises(ValueError, match="carried|pass rule"):
        carried("most", 1, 1, 0)
