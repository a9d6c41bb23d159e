"""Strict marshmallow fields for untrusted input.

marshmallow's defaults are lenient in ways that hurt here: ``Integer`` takes ``"5"`` and
truncates ``4.7``, ``Boolean`` takes ``"yes"`` and ``1``, ``String`` keeps NUL bytes and
lone surrogates that make PostgreSQL and SQLite writes fail. These fields accept exactly
what the contract says and nothing else.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import marshmallow as ma

from .timeutil import isoformat

# C0 and C1 control characters except tab, newline and carriage return, DEL, lone
# surrogates, and the non-characters U+FFFE/U+FFFF.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


# What renders as nothing: Unicode format characters (category Cf: zero-width space,
# joiners, BOM, soft hyphen, bidi controls...) and the letters that fonts draw blank
# (Hangul fillers, the blank Braille pattern). Text made only of these and white space
# counts as empty.
_BLANK_LETTERS = frozenset("\u115f\u1160\u2800\u3164\uffa0")
# Joiners are format characters that real names need (emoji sequences, Persian and
# Indic scripts); every other one, bidi controls first, could make a name read
# differently from what it is (U+202E reverses what follows it).
_NAME_FORMAT_ALLOWED = frozenset("\u200c\u200d")


def _invisible(char: str) -> bool:
    return char.isspace() or char in _BLANK_LETTERS or unicodedata.category(char) == "Cf"


def is_blank(text: str) -> bool:
    """Whether ``text`` shows nothing at all (see ``_BLANK_LETTERS``)."""
    return all(_invisible(char) for char in text)


class Text(ma.fields.String):
    """Plain text: trimmed, NFC-normalised, control characters refused, length checked
    on the normalised value (what is stored is what was measured). Text that shows
    nothing (only invisible characters) counts as empty."""

    default_error_messages = {
        "control": "Must not contain control characters.",
        "too_short": "Must not be empty.",
        "shorter": "Must be at least {min} characters.",
        "too_long": "Must be at most {max} characters.",
    }

    def __init__(self, *, max_length: int, min_length: int = 1, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {})
        kwargs["metadata"].setdefault("maxLength", max_length)
        if min_length > 1:
            kwargs["metadata"].setdefault("minLength", min_length)
        super().__init__(**kwargs)
        self.min_length = min_length
        self.max_length = max_length

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        if _FORBIDDEN.search(text):
            raise self.make_error("control")
        text = unicodedata.normalize("NFC", text.strip())
        if is_blank(text):
            text = ""
        if len(text) < self.min_length:
            if text and self.min_length > 1:
                raise self.make_error("shorter", min=self.min_length)
            raise self.make_error("too_short")
        if len(text) > self.max_length:
            raise self.make_error("too_long", max=self.max_length)
        return text


class Name(Text):
    """A person's or a shop's name: Text without invisible formatting characters
    (joiners excepted), which could make the name show as something it is not."""

    default_error_messages = {
        "format": "Must not contain invisible formatting characters (such as U+{code:04X})."
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        for char in text:
            if unicodedata.category(char) == "Cf" and char not in _NAME_FORMAT_ALLOWED:
                raise self.make_error("format", code=ord(char))
        return text


class OptionalText(Text):
    """Text that may be null; an empty or blank string also means "none"."""

    def __init__(self, *, max_length: int, **kwargs: Any) -> None:
        kwargs.setdefault("allow_none", True)
        kwargs.setdefault("load_default", None)
        super().__init__(max_length=max_length, min_length=0, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        return text or None


class EmailAddress(ma.fields.Email):
    """An e-mail address, without the characters that change a ``mailto:`` link's
    meaning (``?`` starts headers such as ``cc=``, ``&`` separates them, ``%``
    escapes): an address that needs them is not one a shop can safely answer."""

    default_error_messages = {"link_chars": "Must not contain ?, & or %."}

    def __init__(self, **kwargs: Any) -> None:
        if not kwargs.get("required"):
            kwargs.setdefault("load_default", None)
            kwargs.setdefault("allow_none", True)
        kwargs.setdefault("validate", ma.validate.Length(max=254))
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        address = super()._deserialize(value, attr, data, **kwargs)
        if any(char in address for char in "?&%"):
            raise self.make_error("link_chars")
        return address


class StrictInteger(ma.fields.Integer):
    """A JSON integer: ``5``, not ``"5"``, ``5.0``, ``4.7`` or ``true``."""

    def _validated(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        return value


class StrictBoolean(ma.fields.Boolean):
    """A JSON boolean: ``true`` or ``false`` only."""

    truthy = {True}
    falsy = {False}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if value is True or value is False:
            return value
        raise self.make_error("invalid", input=value)


class QueryInteger(ma.fields.Integer):
    """An integer in a query string: decimal digits only (no ``4.7``, no ``1e3``)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if not isinstance(value, str) or not re.fullmatch(r"-?[0-9]{1,9}", value):
            raise self.make_error("invalid")
        return int(value)


class UTCDateTime(ma.fields.DateTime):
    """ISO 8601 out with a trailing ``Z``; in, a time without zone is taken as UTC."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else isoformat(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if isinstance(value, str) and value.endswith(("z", "Z")):
            value = value[:-1] + "+00:00"
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)


PRODUCT_RE = re.compile(r"[A-Za-z0-9._:-]{1,128}")
SITE_RE = re.compile(r"[a-z0-9-]{3,64}")
OBJECT_ID_RE = re.compile(r"[a-z]{2,5}_[0-9A-Z]{26}")


class FullMatch(ma.validate.Regexp):
    """``validate.Regexp`` uses ``re.match``: it would accept any value that merely
    starts with a valid id (``"sku-1 <script>"``). This one matches the whole value."""

    def __init__(self, regex: re.Pattern[str], *, error: str | None = None) -> None:
        super().__init__(regex, error=error)
        self.pattern = regex  # typed for str, which the base's ``regex`` is not

    def __call__(self, value: Any) -> Any:
        if not isinstance(value, str) or self.pattern.fullmatch(value) is None:
            raise ma.ValidationError(self._format_error(value))
        return value


product_id_validator = FullMatch(
    PRODUCT_RE, error="Must be 1-128 characters of A-Z a-z 0-9 . _ : -"
)


class Origin(ma.fields.String):
    """A web origin (scheme, host, optional port), normalised as browsers send it."""

    default_error_messages = {"invalid_origin": "Must be an origin such as https://shop.example"}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        try:
            parts = urlsplit(text)
            port = parts.port
        except ValueError as exc:
            raise self.make_error("invalid_origin") from exc
        if (
            parts.scheme not in {"http", "https"}
            or not parts.hostname
            or parts.username
            or parts.password
            or parts.path not in {"", "/"}
            or parts.query
            or parts.fragment
            or not re.fullmatch(r"[a-z0-9.\-\[\]:]+", parts.hostname)
        ):
            raise self.make_error("invalid_origin")
        default_port = {"http": 80, "https": 443}[parts.scheme]
        host = parts.hostname
        if ":" in host:  # IPv6 literal
            host = f"[{host}]"
        if port is not None and port != default_port:
            return f"{parts.scheme}://{host}:{port}"
        return f"{parts.scheme}://{host}"
