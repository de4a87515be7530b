"""Which authority a published file means: the Scottish Government's 3-digit council codes
(ACEL), GSS codes (S12...), and council names as the files write them ("Aberdeen City
Council  ", "The Highland Council", "Comhairle nan Eilean Siar", "Edinburgh, City of",
"Argyll & Bute")."""

import re
import uuid

# The Scottish Government's local-authority codes (ACEL and other SG tables) -> GSS codes.
SG_CODES = {
    "100": "S12000033", "110": "S12000034", "120": "S12000041", "130": "S12000035",
    "150": "S12000005", "170": "S12000006", "180": "S12000042", "190": "S12000008",
    "200": "S12000045", "210": "S12000010", "220": "S12000011", "230": "S12000036",
    "235": "S12000013", "240": "S12000014", "250": "S12000047", "260": "S12000049",
    "270": "S12000017", "280": "S12000018", "290": "S12000019", "300": "S12000020",
    "310": "S12000021", "320": "S12000050", "330": "S12000023", "340": "S12000048",
    "350": "S12000038", "355": "S12000026", "360": "S12000027", "370": "S12000028",
    "380": "S12000029", "390": "S12000030", "395": "S12000039", "400": "S12000040",
}
SCOTLAND_CODES = frozenset({"7000", "s92000003"})  # SG's and GSS's code for Scotland
SCOTLAND_NAMES = frozenset({"scotland", "scotland total", "all local authorities"})
GRANT_AIDED = frozenset({"grant aided", "grantaided", "grant aided schools"})

# Names the files use that are not the council's usual name, folded (see folded()).
ALIASES = {
    "comhairle nan eilean siar": "S12000013", "na h eileanan an iar": "S12000013",
    "eilean siar": "S12000013", "western isles": "S12000013",
    "edinburgh city of": "S12000036", "edinburgh": "S12000036", "city of edinburgh": "S12000036",
    "glasgow": "S12000049", "dundee": "S12000042", "aberdeen": "S12000033",
    "borders": "S12000026", "orkney": "S12000023", "shetland": "S12000027",
}


def folded(name: str) -> str:
    """"The Perth & Kinross Council " and "perth and kinross" are one name."""
    text = re.sub(r"[^a-z0-9 ]", " ", name.lower().replace("&", " and "))
    text = " ".join(text.split())
    text = re.sub(r"^the ", "", text)
    return re.sub(r" council$", "", text)


class Councils:
    """The authorities the service holds, found by any code or name a published file uses."""

    def __init__(self, directory: list[tuple[uuid.UUID, str, str]]) -> None:
        self.by_code = {code.upper(): authority_id for authority_id, code, _ in directory}
        self.by_name = {folded(name): authority_id for authority_id, _, name in directory}
        self.code_of = {authority_id: code for authority_id, code, _ in directory}
        self.name_of = {authority_id: name for authority_id, _, name in directory}

    def find(self, code: str | None, name: str | None) -> uuid.UUID | None:
        if code:
            gss = SG_CODES.get(code.strip(), code.strip()).upper()
            if gss in self.by_code:
                return self.by_code[gss]
        if name:
            key = folded(name)
            if key in self.by_name:
                return self.by_name[key]
            alias = ALIASES.get(key)
            if alias is not None:
                return self.by_code.get(alias)
        return None


def is_scotland(code: str | None, name: str | None) -> bool:
    return (code or "").strip().lower() in SCOTLAND_CODES or (
        name is not None and folded(name) in SCOTLAND_NAMES)


def is_grant_aided(name: str | None) -> bool:
    return name is not None and folded(name) in GRANT_AIDED
