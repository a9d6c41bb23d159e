"""JSON in and out: request bodies strictly UTF-8, parsed once; responses script-safe.

Everything that reads a write's body (webargs for the schemas, the idempotency hash)
gets it from :func:`json_body`, so no reader can see the bytes differently from
another. Python's ``json.loads`` on bytes guesses UTF-16 or UTF-32 from the first
bytes, turns a number of thousands of digits into a ``ValueError`` the frameworks
don't expect (a 500), and recurses once per nesting level; each of those answered a
500 somewhere. Here the bytes are decoded as UTF-8 or refused, nesting is counted on
the decoded text before anything recurses, and numbers are bounded as they are parsed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, g, request
from flask.json.provider import DefaultJSONProvider
from webargs import core

from .errors import Problem

MAX_NESTING = 32  # the API's bodies nest 2 levels deep at most
# Longer than any id, count or rating the API takes: a longer number is a mistake or
# an attack, refused before Python converts it (its int() is quadratic in the digits).
MAX_NUMBER_LENGTH = 64

_BODY = "plaudit_json_body"
_LIMIT = "plaudit_body_limit"
F = TypeVar("F", bound=Callable[..., Any])


def body_limit(size: int) -> Callable[[F], F]:
    """Let one endpoint take bodies up to ``size`` bytes instead of ``MAX_CONTENT_LENGTH``
    (the contract's 64 KiB): a batch of 500 invitations with names and products needs
    more. Only for the secret-key API, which authenticates right after the body is read."""

    def mark(view: F) -> F:
        setattr(view, _LIMIT, size)
        return view

    return mark


_NO_BODY = "plaudit_no_body"


def no_body(view: F) -> F:
    """Mark an action endpoint (``POST .../rotate-secret``) that takes no body: an
    empty one is fine (no Content-Type needed), ``{}`` too, anything else is a 422."""
    setattr(view, _NO_BODY, True)
    return view


class _BodyError(ValueError):
    """A body that is JSON but not one the API takes (an absurd number, NaN)."""


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_LENGTH:
        raise _BodyError(f"A number in the body has more than {MAX_NUMBER_LENGTH} digits.")
    return int(text)


def _parse_float(text: str) -> float:
    if len(text) > MAX_NUMBER_LENGTH:
        raise _BodyError(f"A number in the body is longer than {MAX_NUMBER_LENGTH} characters.")
    value = float(text)
    if not math.isfinite(value):
        raise _BodyError("A number in the body is out of range.")
    return value


def _parse_constant(name: str) -> Any:
    raise _BodyError(f"{name} is not JSON.")


_DECODER = json.JSONDecoder(
    parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant
)


def check_nesting(text: str) -> None:
    """Refuse ``[[[[...`` before anything parses it: the decoder recurses once per
    level, so 64 KiB of brackets would raise RecursionError (a 500), or not, depending
    on the interpreter's recursion limit. Counting is cheap and certain."""
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_NESTING:
                raise Problem(400, "The request body is nested too deeply.")
        elif char in "]}":
            depth -= 1


def parse(raw: bytes) -> Any:
    """The JSON value of ``raw`` (``core.missing`` for an empty body), or a Problem:
    400 for bytes that are not UTF-8 or not JSON the API takes."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Problem(400, "The request body is not valid UTF-8.") from exc
    # JSON text never holds a raw NUL; UTF-16 and UTF-32 put one beside every ASCII
    # character (and they decode as "UTF-8" without error).
    if "\x00" in text:
        raise Problem(400, "The request body is not valid UTF-8 JSON (is it UTF-16?).")
    text = text.removeprefix("\ufeff")  # RFC 8259 lets a parser ignore a BOM
    if not text.strip():
        return core.missing
    check_nesting(text)
    try:
        return _DECODER.decode(text)
    except _BodyError as exc:
        raise Problem(400, str(exc)) from exc
    except ValueError as exc:  # JSONDecodeError, and anything int() or float() refuse
        raise Problem(400, "The request body is not valid JSON.") from exc


def check_request_body() -> None:
    """For API writes: JSON in UTF-8 only (415 otherwise), parsed once into ``g``."""
    view = current_app.view_functions.get(request.endpoint or "")
    larger = getattr(view, _LIMIT, None)
    if larger is not None:
        request.max_content_length = larger
    takes_none = getattr(view, _NO_BODY, False)
    if takes_none and not request.get_data(cache=True).strip():
        setattr(g, _BODY, {})
        return
    if not request.is_json:
        raise Problem(415, "Send the request body as JSON (Content-Type: application/json).")
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in {"utf-8", "utf8"}:
        raise Problem(415, "Send the request body as UTF-8 (charset=utf-8).")
    setattr(g, _BODY, parse(request.get_data(cache=True)))
    if takes_none and getattr(g, _BODY) != {}:
        raise Problem(422, "This endpoint takes no request body: send none, or {}.")


def json_body() -> Any:
    """The request's parsed body (see :func:`check_request_body`)."""
    if not hasattr(g, _BODY):
        setattr(g, _BODY, parse(request.get_data(cache=True)))
    return getattr(g, _BODY)


# JSON's own escapes for the characters that end a <script> element or start markup:
# the parsed value is the same, and the text can't break out of an HTML context.
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


class ScriptSafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with ``<``, ``>`` and ``&`` escaped in every response.

    The JSON-LD endpoint exists to be pasted into ``<script type="application/ld+json">``,
    where a review saying ``</script>`` would end the element and run what follows;
    every other body is safer the same way when a client misuses it. Field order is the
    contract's (no key sorting).
    """

    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return super().dumps(obj, **kwargs).translate(_SCRIPT_SAFE)
