"""The demo sub-district (``meihao demo``): five branded communities with generated, realistic residents.

``load_profile`` reads what to build (the shipped ``sub_district.toml`` describes 济阳街道);
``build_demo`` builds it and returns a summary for people.
"""

from __future__ import annotations

from meihao.demo.build import build_demo
from meihao.demo.profile import CommunitySpec, DemoProfile, DepartmentSpec, IdRegion, load_profile, with_enabled

__all__ = ["CommunitySpec", "DemoProfile", "DepartmentSpec", "IdRegion", "build_demo", "load_profile", "with_enabled"]
