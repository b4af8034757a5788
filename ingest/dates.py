"""Calendar dates written in documents and their metadata, as ISO `YYYY-MM-DD`: one parser for the loaders (a
document's date) and the relation extractor (the dates a change names)."""

from __future__ import annotations

import datetime as _dt
import re

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}
_MONTH = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_ORD = r"(?:st|nd|rd|th)?"
_ISO_RE = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_COMPACT_RE = re.compile(r"^\s*(?:D:)?(\d{4})(\d{2})(\d{2})")
MONTH_DAY_YEAR = re.compile(rf"\b{_MONTH}\s+(\d{{1,2}}){_ORD},?\s+(\d{{4}})(?!\d)", re.IGNORECASE)
_DMY_RE = re.compile(rf"(?<!\d)(\d{{1,2}}){_ORD}\s+(?:of\s+)?{_MONTH},?\s+(\d{{4}})(?!\d)", re.IGNORECASE)
_US_NUMERIC_RE = re.compile(r"(?<!\d)(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)")


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return _dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def parse_date(value: str | None) -> str | None:
    """The first calendar date written in `value` as ISO `YYYY-MM-DD`, or None.

    Understands ISO dates (with or without a time), PDF dates (`D:20250402...`), month names
    (`April 02, 2025`, `2 Apr 2025`, `2nd of April, 2025`) and US numeric dates (`04/02/2025`).
    """
    if not value:
        return None
    compact = _COMPACT_RE.match(value)
    if compact:
        iso = _iso(int(compact[1]), int(compact[2]), int(compact[3]))
        if iso:
            return iso
    found: list[tuple[int, str]] = []
    for m in _ISO_RE.finditer(value):
        if iso := _iso(int(m[1]), int(m[2]), int(m[3])):
            found.append((m.start(), iso))
            break
    for m in MONTH_DAY_YEAR.finditer(value):
        if iso := _iso(int(m[3]), _MONTHS[m[1][:3].lower()], int(m[2])):
            found.append((m.start(), iso))
            break
    for m in _DMY_RE.finditer(value):
        if iso := _iso(int(m[3]), _MONTHS[m[2][:3].lower()], int(m[1])):
            found.append((m.start(), iso))
            break
    for m in _US_NUMERIC_RE.finditer(value):
        if iso := _iso(int(m[3]), int(m[1]), int(m[2])):
            found.append((m.start(), iso))
            break
    return min(found)[1] if found else None
