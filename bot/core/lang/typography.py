"""How each language writes quotation marks: a quote is shown in the marks of its own language."""

from __future__ import annotations

# (opening, closing) double quotation marks
QUOTATION_MARKS: dict[str, tuple[str, str]] = {
    "de": ("„", "“"),
    "en": ("“", "”"),
}
DEFAULT_LANGUAGE = "en"
