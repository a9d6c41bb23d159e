"""Judge.me's review CSV (its "Export reviews" file, also its import template).

Columns (header names matched ignoring case and separators; ``review_title`` is also
taken for ``title``): ``title``, ``body``, ``rating``, ``review_date``, ``source``,
``curated``, ``reviewer_name``, ``reviewer_email``, ``product_id``, ``product_handle``,
``reply``, ``reply_date``, ``picture_urls``, ``ip_address``, ``location``; optional
``verified`` and ``hidden`` (some exports and hand-made files have them). Required:
``body``, ``rating``, ``review_date`` and the product column chosen.

What each becomes:

- The product: ``product_handle`` (default) or ``product_id`` (``--product-field``).
  A row with neither is a shop review (Judge.me's "store reviews") and becomes a store
  review; a row with only the other column is refused, saying so.
- ``curated``: ``ok`` is published, ``spam`` is spam, ``not-yet`` (not yet curated) is
  pending; empty is published (the import template has no curation). ``hidden`` true
  (the shop unpublished it) holds the review as pending. Another value holds it as
  pending and the summary says how many.
- Verified buyer: a ``verified`` column when the file has one (Judge.me's API values:
  ``buyer`` is a verified buyer; ``email``, ``nothing``, ``admin`` are not); otherwise
  ``source`` ``email``: Judge.me sends its review request e-mails for fulfilled orders,
  and counts a review written from one as a buyer's (its authenticity policy).
- ``reply``/``reply_date``: the shop's public reply.
- Ratings 1-5; a file rated out of 10 or 100 is detected (see ``csvfiles.decide_scale``)
  and mapped, and the summary says so.
- Not stored: ``picture_urls`` (we keep no pictures), ``ip_address`` (not ours to keep
  after the move), ``location``, ``source`` itself.
- The address ``support+anonymous@judge.me`` (Judge.me's placeholder for reviewers
  without one) is dropped. Names and addresses never refuse a row: a name is cleaned
  (one line, no invisible formatting) and shortened past 80 characters, an address the
  API would not take is left out, and the summary counts both (``csvfiles.People``).
  Text is checked as the API checks it: a body over 5,000 characters, a title over 120
  or a reply over 5,000 refuses the row.

Judge.me's export has no review id, so ``source_id`` is a hash of what identifies a
review: the product, the reviewer (e-mail, else name), the date as written and the
body. Importing the same file again gives the same ids (and adds nothing); the same row
twice in one file is the same review (reported as a duplicate).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

from ...models import STORE, Status
from .. import csvfiles
from ..csvfiles import Row, RowError
from ..records import ImportFileError, Note, Options, Record, Refused, ReviewRecord

COLUMNS = csvfiles.Columns(
    spellings={
        "title": ("review_title",),
        "body": ("review_body",),
        "rating": (),
        "review_date": (),
        "source": (),
        "curated": (),
        "reviewer_name": (),
        "reviewer_email": (),
        "product_id": (),
        "product_handle": (),
        "reply": (),
        "reply_date": (),
        "verified": (),
        "hidden": (),
    },
    required=("body", "rating", "review_date"),
    kind="Judge.me's review export",
)

PRODUCT_FIELDS = ("product_handle", "product_id")
ANONYMOUS_EMAIL = "support+anonymous@judge.me"

_CURATED = {
    "ok": Status.PUBLISHED,
    "": Status.PUBLISHED,
    "spam": Status.SPAM,
    "not-yet": Status.PENDING,
    "not_yet": Status.PENDING,
}
_VERIFIED_BUYER = frozenset({"buyer", "verified_buyer", "verified buyer", "true", "yes", "1"})


def total(path: Path) -> int | None:
    """How many rows :func:`read` will yield a record for, for a progress bar's total
    (see ``csvfiles.count_rows``)."""
    return csvfiles.count_rows(path)


def read(path: Path, options: Options) -> Iterator[Record]:
    """Every row of a Judge.me review CSV as a ReviewRecord or Refused, in file order,
    then the Notes (encoding, rating scale, unknown curation values)."""
    product_field = options.product_field or "product_handle"
    if product_field not in PRODUCT_FIELDS:
        raise ImportFileError(
            f"--product-field must be product_handle or product_id, not {product_field!r}"
        )
    columns = dataclasses.replace(COLUMNS, required=(*COLUMNS.required, product_field))
    scale = csvfiles.decide_scale(csvfiles.sample(path, columns, "rating"))
    mapped = 0
    unknown_curated = 0
    people = csvfiles.People()
    for item in csvfiles.read_rows(path, columns):
        if not isinstance(item, Row):
            yield item
            continue
        try:
            record = _record(item, product_field, scale, people)
        except RowError as error:
            yield Refused(item.line, str(error))
            continue
        if scale.top != 5:
            mapped += 1
        if item.get("curated").strip().lower() not in _CURATED:
            unknown_curated += 1
        yield record
    note = scale.note(mapped)
    if note is not None:
        yield note
    yield from people.notes()
    if unknown_curated:
        plural = unknown_curated != 1
        yield Note(
            f"{unknown_curated} review{'s' if plural else ''} with a curated value other "
            f"than ok, not-yet or spam {'were' if plural else 'was'} held as pending"
        )


def _record(
    row: Row, product_field: str, scale: csvfiles.RatingScale, people: csvfiles.People
) -> ReviewRecord:
    other_field = "product_id" if product_field == "product_handle" else "product_handle"
    if not row.get(product_field).strip():
        if row.get(other_field).strip():
            raise RowError(
                f"no {product_field} (the row has a {other_field}: "
                f"try --product-field {other_field})"
            )
        product = STORE  # a shop review
    else:
        product = csvfiles.product(row.get(product_field), product_field)
    rating = scale.stars(row.get("rating"))
    body = csvfiles.text(row.get("body"), "body", csvfiles.BODY_MAX)
    if not body:
        raise RowError("no body")
    title = csvfiles.text(row.get("title"), "title", csvfiles.TITLE_MAX) or None
    created_at = csvfiles.date(row.get("review_date"), "review_date")
    reply = csvfiles.text(row.get("reply"), "reply", csvfiles.BODY_MAX) or None
    reply_at = None
    if reply is not None and row.get("reply_date").strip():
        reply_at = csvfiles.date(row.get("reply_date"), "reply_date")
    status = _CURATED.get(row.get("curated").strip().lower(), Status.PENDING)
    if status is Status.PUBLISHED and csvfiles.boolean(row.get("hidden"), "hidden"):
        status = Status.PENDING
    if "verified" in row.cells:
        verified = row.get("verified").strip().lower() in _VERIFIED_BUYER
    else:
        verified = row.get("source").strip().lower() == "email"
    # Last, once nothing can refuse the row: the notes count only rows imported.
    name = people.name(row.get("reviewer_name"))
    email = None
    if row.get("reviewer_email").strip().lower() != ANONYMOUS_EMAIL:
        email = people.email(row.get("reviewer_email"))
    source_id = csvfiles.stable_id(
        "jm_",
        product,
        (email or "").lower() or name,
        row.get("review_date").strip(),
        body,
    )
    return ReviewRecord(
        source_id=source_id,
        product=product,
        rating=rating,
        body=body,
        author_name=name,
        created_at=created_at,
        line=row.line,
        title=title,
        author_email=email,
        verified_buyer=verified,
        status=status,
        reply_body=reply,
        reply_created_at=reply_at,
        checked=True,  # csvfiles.text, csvfiles.product and People applied the API's rules
    )
