"""Fixed vocabularies the generator draws from: products, company names, sites.

Everything here is plain data; the generator in :mod:`mspweb.sandbox.generate` picks from it
with a seeded random source, so the same seed always yields the same world.
"""

from __future__ import annotations

import unicodedata

#: (product code, product name) pairs, after the vendor's real catalog.
PRODUCTS: tuple[tuple[str, str], ...] = (
    ("EEA", "ESET Endpoint Antivirus"),
    ("EES", "ESET Endpoint Security"),
    ("EFS", "ESET File Security"),
    ("EMSX", "ESET Mail Security for Microsoft Exchange Server"),
    ("EPI", "ESET PROTECT Entry"),
    ("EPA", "ESET PROTECT Advanced"),
    ("EPC", "ESET PROTECT Complete"),
    ("ECOS", "ESET Cloud Office Security"),
    ("ESA", "ESET Secure Authentication"),
    ("EFDE", "ESET Full Disk Encryption"),
)

#: Seat counts a license is bought in.
QUANTITIES: tuple[int, ...] = (5, 10, 10, 15, 20, 25, 25, 30, 50, 50, 75, 100, 150, 250, 500)

#: Alphabet of license keys (no 0/O/1/I, as on printed keys).
KEY_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

#: Customer names that exercise escaping, Unicode and spreadsheet-formula injection.
#: They are given to the main demo account's first customers, in this order.
SPECIAL_NAMES: tuple[str, ...] = (
    "Müller & Söhne GmbH",
    "東京商事",
    "Ωmega ΑΕ",
    "<script>alert(1)</script> Ltd",
    "\"quotes\" & 'apostrophes' Inc.",
    '=HYPERLINK("x") Corp',
    "Café Crème S.à r.l.",
)

_ADJECTIVES = (
    "Alpine",
    "Blue",
    "Bright",
    "Cedar",
    "Coastal",
    "Crystal",
    "Delta",
    "Eastern",
    "Evergreen",
    "First",
    "Golden",
    "Granite",
    "Harbor",
    "Highland",
    "Iron",
    "Lakeside",
    "Maple",
    "Meridian",
    "Northern",
    "Oak",
    "Pacific",
    "Pioneer",
    "Quantum",
    "Redwood",
    "Silver",
    "Summit",
    "Sunrise",
    "Union",
    "Valley",
    "Western",
)
_NOUNS = (
    "Analytics",
    "Bakery",
    "Builders",
    "Clinic",
    "Consulting",
    "Dental",
    "Design",
    "Energy",
    "Engineering",
    "Farms",
    "Foods",
    "Freight",
    "Health",
    "Hotels",
    "Insurance",
    "Labs",
    "Law",
    "Logistics",
    "Media",
    "Motors",
    "Optics",
    "Pharma",
    "Printing",
    "Realty",
    "Robotics",
    "Software",
    "Textiles",
    "Tools",
    "Travel",
    "Water",
)
_SUFFIXES = (
    "GmbH",
    "Ltd",
    "AG",
    "s.r.o.",
    "Inc.",
    "KG",
    "SA",
    "BV",
    "Oy",
    "AB",
    "LLC",
    "Sp. z o.o.",
)


def company_name(index: int) -> str:
    """Return the ``index``-th generated company name; distinct indexes give distinct names."""
    per_round = name_space_size()
    round_number, rest = divmod(index, per_round)
    rest = rest * 7919 % per_round  # a permutation (7919 is prime): neighbours look unrelated
    rest, suffix = divmod(rest, len(_SUFFIXES))
    adjective, noun = divmod(rest, len(_NOUNS))
    name = f"{_ADJECTIVES[adjective]} {_NOUNS[noun]} {_SUFFIXES[suffix]}"
    return name if round_number == 0 else f"{name} {round_number + 1}"


def name_space_size() -> int:
    """How many names :func:`company_name` yields before it starts numbering them."""
    return len(_ADJECTIVES) * len(_NOUNS) * len(_SUFFIXES)


def email_for(name: str, fallback: str) -> str:
    """An e-mail address derived from a company name (``fallback`` when it has no ASCII word)."""
    folded = unicodedata.normalize("NFKD", name.lower())
    slug = "".join(ch for ch in folded if ch.isascii() and ch.isalnum())[:24]
    return f"it@{slug or fallback}.example"
