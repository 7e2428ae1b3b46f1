"""Validators for national identifiers (GB 11643 ID numbers, GB 32100 credit codes) and phone numbers."""

import datetime as dt
import re
from dataclasses import dataclass

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
PASSPORT_RE = re.compile(r"^[A-Z0-9]{5,20}$")
# A mainland mobile number: 11 digits, 1 then 3-9 (an optional +86 or 86 country code is dropped)
MOBILE_RE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")
# A landline with its area code (3 or 4 digits starting with 0, e.g. 0570 for Quzhou) and a 7- or 8-digit
# number, optionally an extension: 0570-1234567, 0570 1234567, 057012345678, 010-12345678-123
LANDLINE_RE = re.compile(r"^(0\d{2,3})[- ]?(\d{7,8})(?:-(\d{1,6}))?$")
PHONE_FORMAT_ZH = "应为11位手机号（如 13800001234）或带区号的固定电话（如 0570-1234567）"
PHONE_FORMAT_EN = (
    "use an 11-digit mobile number (e.g. 13800001234) or a landline with its area code (e.g. 0570-1234567)"
)


class InvalidValue(ValueError):
    """A value that fails its check, said in Chinese and English (str() joins them as "中文 / English")."""

    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


@dataclass(frozen=True)
class IdNumberFacts:
    birth_date: dt.date
    gender: str  # "male" or "female"
    region_code: str


def id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def normalize_id_number(value: str) -> str:
    return (value or "").strip().upper()


def parse_id_number(value: str) -> IdNumberFacts:
    """Validate a resident ID number and return what it encodes; InvalidValue if it is not valid."""
    number = normalize_id_number(value)
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise InvalidValue(
            "身份证号须为18位，末位可为X", "ID number must be 18 characters, the last may be X"
        )
    if id_check_char(number[:17]) != number[17]:
        raise InvalidValue("身份证号校验位不正确", "ID number check digit is wrong")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidValue("身份证号中的出生日期无效", "ID number has an invalid birth date") from None
    if birth.year < 1900 or birth > dt.date.today():
        raise InvalidValue("身份证号中的出生日期无效", "ID number has an invalid birth date")
    gender = "male" if int(number[16]) % 2 == 1 else "female"
    return IdNumberFacts(birth_date=birth, gender=gender, region_code=number[:6])


def is_valid_id_number(value: str) -> bool:
    try:
        parse_id_number(value)
    except ValueError:
        return False
    return True


def credit_check_char(first17: str) -> str:
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def normalize_credit_code(value: str) -> str:
    return (value or "").strip().upper()


def validate_credit_code(value: str) -> str:
    """Return the normalized code; InvalidValue (Chinese and English) if it fails GB 32100."""
    code = normalize_credit_code(value)
    if len(code) != 18 or any(c not in CREDIT_ALPHABET for c in code):
        raise InvalidValue(
            "统一社会信用代码须为18位，只含数字和大写字母（不含I、O、S、V、Z）",
            "Credit code must be 18 characters of digits and capitals without I, O, S, V, Z",
        )
    if credit_check_char(code[:17]) != code[17]:
        raise InvalidValue("统一社会信用代码校验位不正确", "Credit code check character is wrong")
    return code


def is_valid_credit_code(value: str) -> bool:
    try:
        validate_credit_code(value)
    except ValueError:
        return False
    return True


def validate_passport(value: str) -> str:
    number = (value or "").strip().upper()
    if not PASSPORT_RE.fullmatch(number):
        raise InvalidValue("护照号须为5至20位字母或数字", "Passport number must be 5-20 letters or digits")
    return number


def validate_phone(value: str) -> str:
    """A mainland mobile number or a landline with its area code, as stored: digits only (an extension
    after a hyphen); InvalidValue saying the expected format otherwise. A 7-digit number without its area
    code is refused: it cannot be dialled from outside the county."""
    text = (value or "").strip()
    compact = re.sub(r"[\s-]", "", text)
    if mobile := MOBILE_RE.fullmatch(compact):
        return mobile.group(1)
    if landline := LANDLINE_RE.fullmatch(re.sub(r"\s+", " ", text)):
        area, number, extension = landline.groups()
        return area + number + (f"-{extension}" if extension else "")
    raise InvalidValue(
        f"电话号码格式不正确，{PHONE_FORMAT_ZH}", f"Phone number is not valid: {PHONE_FORMAT_EN}"
    )
