"""The code patterns the API validates against accept every region shipped with kopdes."""

import re

from app.models.account import SCOPE_PATTERN
from app.models.region import REGION_CODE_PATTERN, VILLAGE_CODE_PATTERN
from app.services import regions


def test_every_shipped_code_is_accepted_including_the_desa_adat():
    codes = [row["code"] for row in regions.read_region_file()]
    villages = [code for code in codes if len(code) == 13]
    assert len(villages) == 83_762
    assert "91.03.01.3007" in villages  # Desa Adat Yoboi, Papua
    assert all(re.match(VILLAGE_CODE_PATTERN, code) for code in villages)
    assert all(re.match(REGION_CODE_PATTERN, code) for code in codes)
    assert all(re.match(SCOPE_PATTERN, code) for code in codes)
