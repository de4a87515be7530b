"""What an officer needs to find and reach a school (its address and contact details) and the
Scottish Government's facts about where it stands (UPRN, data zone, urban/rural class,
coordinates) and its denomination: the field types the contract uses, and the readings of the
texts the public files write for them.

The vocabularies are the Scottish Government's own, so that every file that names them maps
to the same values: the school roll and locations table (SG_SchoolRoll: "Roman Catholic",
AddrUR6 `1` with AddrUR6Desc "Large Urban Areas") and the school level summary statistics
("Roman Catholic school", "Large urban areas", "Very remote Rural") alike."""

import re
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints

from app.core.schemas import DecimalText, Name


class Denomination(StrEnum):
    """A school's denomination as the Scottish Government records it (`other`: any other
    faith; "Other denomination school" in the school level statistics)."""

    non_denominational = "non_denominational"
    roman_catholic = "roman_catholic"
    inter_denominational = "inter_denominational"
    episcopalian = "episcopalian"
    jewish = "jewish"
    other = "other"


# The Scottish Government Urban Rural Classification, by its codes. The 6-fold one folds the
# 8-fold's very remote classes into the remote ones.
URBAN_RURAL_6FOLD = {
    1: "Large Urban Areas", 2: "Other Urban Areas", 3: "Accessible Small Towns",
    4: "Remote Small Towns", 5: "Accessible Rural Areas", 6: "Remote Rural Areas",
}
URBAN_RURAL_8FOLD = {
    1: "Large Urban Areas", 2: "Other Urban Areas", 3: "Accessible Small Towns",
    4: "Remote Small Towns", 5: "Very Remote Small Towns", 6: "Accessible Rural Areas",
    7: "Remote Rural Areas", 8: "Very Remote Rural Areas",
}


def _classes(classes: dict[int, str]) -> str:
    return ", ".join(f"{code} {name}" for code, name in classes.items())


URBAN_RURAL_6FOLD_FIELD = ("The Scottish Government 6-fold urban/rural class of the school's "
                           f"address: {_classes(URBAN_RURAL_6FOLD)}")
URBAN_RURAL_8FOLD_FIELD = ("The 8-fold urban/rural class (the 6-fold's remote classes split "
                           f"from the very remote): {_classes(URBAN_RURAL_8FOLD)}")


def _key(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


_DENOMINATIONS = {
    **{_key(d.value): d for d in Denomination},
    "rc": Denomination.roman_catholic, "catholic": Denomination.roman_catholic,
    "otherdenomination": Denomination.other,
}


def denomination_of(text: str) -> Denomination:
    """"Roman Catholic", "Roman Catholic school", "RC" or `roman_catholic`: one value."""
    found = _DENOMINATIONS.get(re.sub(r"school$", "", _key(text)))
    if found is None:
        raise ValueError(f"{text!r} is not a denomination: non_denominational, roman_catholic, "
                         "inter_denominational, episcopalian, jewish or other (the Scottish "
                         "Government's texts, such as Roman Catholic, are read too)")
    return found


def urban_rural_6fold_of(text: str) -> int:
    return urban_rural_code(text, URBAN_RURAL_6FOLD)


def urban_rural_8fold_of(text: str) -> int:
    return urban_rural_code(text, URBAN_RURAL_8FOLD)


def urban_rural_code(text: str, classes: dict[int, str]) -> int:
    """The code of a class as a file writes it: `2`, "Other Urban Areas", "Other urban areas"
    or "Very remote Rural" (the school level statistics' spelling)."""
    if text.strip().isdigit() and int(text) in classes:
        return int(text)
    wanted = re.sub(r"areas?$", "", _key(text))
    for code, name in classes.items():
        if re.sub(r"areas?$", "", _key(name)) == wanted:
            return code
    raise ValueError(f"{text!r} is not a {len(classes)}-fold urban/rural class: "
                     f"{_classes(classes)}")


# What the registers write in a cell that has nothing to say (the SG table: AddressLine3 `0`,
# PhoneNumber "TBC", WebsiteAddress "not available yet").
NOTHING_WRITTEN = frozenset({"", "0", ".", "-", "tbc", "n/a", "n/a yet", "not available",
                             "not available yet"})


def read_as_nothing(text: str) -> bool:
    return text.strip().lower() in NOTHING_WRITTEN


def address_lines_of(text: str) -> list[str]:
    """Address lines in one cell: a line each, as a CSV's quoted cell holds them."""
    return [line for line in re.split(r"[\r\n]+", text) if line.strip()]


def phone_as_dialled(text: str) -> str:
    if re.fullmatch(r"[1-9][0-9]{9}", text.strip()):
        return f"0{text.strip()}"  # a spreadsheet read 01315535856 as a number, dropping its 0
    return text


def website_of(text: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(/\S*)?", text.strip()):
        return f"https://{text.strip()}"  # "www.dumgal.gov.uk", as a browser reads it
    return text


def uprn_of(text: str) -> str:
    return text.strip().removesuffix(".0")  # from a spreadsheet's number-typed cell


# Field types ----------------------------------------------------------------------------------

MAX_ADDRESS_LINES = 4  # the SG register writes three lines before the postcode


def _one_line(value: str) -> str:
    if any(c in value for c in "\n\r\t"):
        raise ValueError("an address line is one line: send each line as its own item")
    return value


AddressLine = Annotated[Name, AfterValidator(_one_line)]


def _lines_or_none(value: list[str] | None) -> list[str] | None:
    return value or None  # "no address" is null, however it is sent


AddressLines = Annotated[list[AddressLine], Field(max_length=MAX_ADDRESS_LINES),
                         AfterValidator(_lines_or_none)]

_POSTCODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}")


def _postcode(value: str) -> str:
    """A UK postcode, written as Royal Mail does (capitals, one space before the last three
    characters), so that "g32 6dj" and "G326DJ" are stored alike."""
    compact = re.sub(r"\s+", "", value.upper())
    if not _POSTCODE.fullmatch(compact):
        raise ValueError(f"{value!r} is not a UK postcode, e.g. G32 6DJ")
    return f"{compact[:-3]} {compact[-3:]}"


_POSTCODE_LOOSELY = r"^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$"  # what the contract says
Postcode = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10),
                     AfterValidator(_postcode), Field(json_schema_extra={"pattern": _POSTCODE_LOOSELY})]
# As dialled: digits first, and what the registers add after them ("ext 6058", "/4",
# "and 01389 804439").
Phone = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=60,
                                         pattern=r"^[+(0-9][0-9A-Za-z +().,/:-]*$")]
Email = Annotated[str, StringConstraints(
    strip_whitespace=True, to_lower=True, max_length=254,
    pattern=r"^[^@\s\x00-\x1f]+@[^@\s\x00-\x1f]+\.[^@\s\x00-\x1f]+$",
)]
Website = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500,
                                           pattern=r"^https?://[^\s/?#]+\.[^\s/?#]+[^\s\x00-\x1f]*$")]
# The Unique Property Reference Number of the school's building: up to 12 digits, text (its
# leading digits identify the council, and no sum of UPRNs means anything).
Uprn = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{1,12}$")]
DataZone = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True,
                                            pattern=r"^S01[0-9]{6}$")]
UrbanRural6 = Annotated[int, Field(ge=1, le=6, description=URBAN_RURAL_6FOLD_FIELD)]
UrbanRural8 = Annotated[int, Field(ge=1, le=8, description=URBAN_RURAL_8FOLD_FIELD)]

# Coordinates are kept to 7 decimal places (about a centimetre, as the SG register gives
# them); finer ones are rounded, not refused. The bounds are mainland Scotland's and its
# islands', so a swapped latitude and longitude, or a grid reference, is refused.
COORDINATE = Decimal("1E-7")


def _rounded(value: Decimal) -> Decimal:
    return value.quantize(COORDINATE)


Latitude = Annotated[Decimal, Field(ge=54.5, le=61, description="WGS84 latitude, in Scotland"),
                     DecimalText, AfterValidator(_rounded)]
Longitude = Annotated[Decimal, Field(ge=-9, le=-0.5, description="WGS84 longitude, in Scotland"),
                      DecimalText, AfterValidator(_rounded)]

# The fields, in the order documents list them.
DETAIL_FIELDS = ("denomination", "address_lines", "postcode", "phone", "email", "website", "uprn",
                 "data_zone", "urban_rural_6fold", "urban_rural_8fold", "latitude", "longitude")


def coordinate(value: Any) -> float | None:
    """A stored coordinate as documents write it (a driver's Decimal or SQLite's float)."""
    return None if value is None else round(float(value), 7)
