"""Residents' personal data: validating, encrypting, hashing and masking ID-card and phone numbers."""

from __future__ import annotations

import functools
import hashlib
import hmac
import re

import phonenumbers
from cryptography.fernet import Fernet, InvalidToken
from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError
from stdnum.util import isdigits

from meihao.errors import ConfigurationError, InvalidInput


@functools.lru_cache(maxsize=4096)
def _known_region(code: str) -> bool:
    """Whether the six-digit region code (行政区划代码) names a province's area; a register holds few codes, and
    the lookup in stdnum's table is the slowest step of checking a number (an import checks thousands)."""
    return "province" in numdb.get("cn/loc").info(code)[0][1]


def normalise_id_card(number: str) -> str:
    """Validate a mainland resident ID-card number (18 characters, GB 11643 check digit) and normalise it.

    Raises :class:`InvalidInput` saying what is wrong.
    """
    compact = ric.compact(number or "").upper()
    try:
        # Not ric.validate: it also wants the county code to have existed in the birth year,
        # which refuses real numbers (370125 济阳县 for anyone born before 1989), because a
        # number is issued where a person registers, often years after birth.
        if len(compact) != 18:
            raise InvalidLength()
        if not isdigits(compact[:17]):
            raise InvalidFormat()
        if compact[-1] != ric.calc_check_digit(compact):
            raise InvalidChecksum()
        ric.get_birth_date(compact)
        if not _known_region(compact[:6]):
            raise InvalidComponent()
        return compact
    except InvalidLength as err:
        raise InvalidInput("id_card: must be 18 characters", field="id_card") from err
    except InvalidFormat as err:
        raise InvalidInput("id_card: must be 17 digits followed by a digit or X", field="id_card") from err
    except InvalidChecksum as err:
        raise InvalidInput("id_card: the check digit (GB 11643) does not match", field="id_card") from err
    except InvalidComponent as err:
        raise InvalidInput("id_card: the birth date or region code in the number is not valid", field="id_card") from err
    except ValidationError as err:
        raise InvalidInput("id_card: not a valid ID-card number", field="id_card") from err


def normalise_phone(number: str) -> str:
    """Validate a phone number (mainland numbers without country code are accepted) and return it in E.164."""
    try:
        parsed = phonenumbers.parse(number, "CN")
    except phonenumbers.NumberParseException as err:
        # phonenumbers' own words ("(1) The string supplied did not seem to be…") are not the user's
        raise InvalidInput(
            "phone: not a phone number; write a mainland number as 13912345678, others with their country code (+852 …)",
            field="phone",
        ) from err
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidInput(f"phone: {number!r} is not a valid phone number", field="phone")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(e164: str) -> str:
    """Show the first three and last four digits of the national number: ``138****5678``."""
    if not e164:
        return ""
    if e164.startswith("+86"):
        # Nearly every number here: China's national number is what follows +86 (no trunk
        # prefix in E.164), and a list page masks dozens, so the full parse is skipped.
        national = e164[3:]
    else:
        try:
            national = str(phonenumbers.parse(e164).national_number)
        except phonenumbers.NumberParseException:
            national = e164
    if len(national) <= 7:
        return "*" * len(national)
    return national[:3] + "*" * (len(national) - 7) + national[-4:]


def mask_id_card(last4: str) -> str:
    """Only the last four characters of an ID-card number are ever shown without a reveal."""
    return "*" * 14 + last4


class PersonalDataCodec:
    """Encrypts ID-card numbers at rest (Fernet) and hashes them (HMAC-SHA256) for lookups and duplicate checks."""

    def __init__(self, data_key: str) -> None:
        if not data_key:
            # Booted to inspect only (`meihao plugins`, `--help`): no personal data is read or written.
            self._fernet: Fernet | None = None
            self._hash_key = b""
            return
        try:
            self._fernet = Fernet(data_key.encode())
        except (ValueError, TypeError) as err:
            raise ConfigurationError(
                "MEIHAO_DATA_KEY is not a valid key (urlsafe base64 of 32 bytes; `meihao keygen` makes one)",
                field="data_key",
            ) from err
        # A separate key for hashing, derived so that one secret is enough to configure.
        self._hash_key = hashlib.sha256(b"meihao id-card lookup\x00" + data_key.encode()).digest()

    def _key(self) -> Fernet:
        if self._fernet is None:
            raise ConfigurationError("no MEIHAO_DATA_KEY was loaded: this command cannot read or write personal data", field="data_key")
        return self._fernet

    def encrypt(self, value: str) -> str:
        return self._key().encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._key().decrypt(token.encode()).decode()
        except InvalidToken as err:
            raise ConfigurationError("personal data cannot be decrypted with the configured MEIHAO_DATA_KEY") from err

    def lookup_hash(self, value: str) -> str:
        self._key()
        return hmac.new(self._hash_key, value.encode(), hashlib.sha256).hexdigest()


#: Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection"): = + - @, tab, CR.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: a string starting with ``= + - @``, tab or carriage return
    gets a leading ``'`` (OWASP's rule); other values pass unchanged (``csv`` quotes what needs quoting)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_line(row: list[object]) -> bytes:
    """One CSV line (UTF-8, ``\\r\\n``) of ``row`` with every cell neutralised by :func:`csv_cell`."""
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer).writerow([csv_cell(value) for value in row])
    return buffer.getvalue().encode()


_EMAIL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+")


def normalise_email(address: str, field: str = "email") -> str:
    """An e-mail address as written (trimmed), or InvalidInput naming ``field``: one ``local@domain``, at
    most 254 characters, no spaces, line breaks or other control characters (a CR/LF would add mail headers)."""
    value = address.strip()
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise InvalidInput(f"{field}: must not contain line breaks or control characters", field=field)
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        raise InvalidInput(f"{field}: not an e-mail address (name@example.org)", field=field)
    return value
