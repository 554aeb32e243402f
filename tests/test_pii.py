from tests.factories import VALID_NIK
from tests.pii import leaked_niks


def test_the_scanner_finds_a_nik_anywhere_but_in_non_personal_fields():
    assert leaked_niks(f'{{"note": "KTP {VALID_NIK}"}}', set()) == [VALID_NIK]
    assert leaked_niks(f"ketua,{VALID_NIK}\n", set()) == [VALID_NIK]
    assert leaked_niks(f'{{"npwp": "{VALID_NIK}"}}', set()) == []
    assert leaked_niks(f'{{"npwp": "{VALID_NIK}"}}', {VALID_NIK}) == [VALID_NIK]
    assert leaked_niks('{"nik_masked": "6402********0001"}', {VALID_NIK}) == []
