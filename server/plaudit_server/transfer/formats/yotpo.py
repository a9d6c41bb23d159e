"""Yotpo's reviews export CSV (Reviews > Moderation > Export), and its import template.

Yotpo has written these files with two styles of header over the years: title case in
the moderation export (``Review ID``, ``Review Title``, ``Review Content``, ``Review
Score``...) and snake case in its import template and API-based exports
(``review_title``, ``review_content``, ``review_score``...). Header names are matched
ignoring case and separators, so both read the same. Supported columns, with the
spellings taken for each (the first is the canonical one):

========================  ==============================================================
what                      header spellings
========================  ==============================================================
the review's id           ``Review ID``, ``id``
the product               ``Product ID``, ``Product SKU``, ``sku`` (product id first)
site or product review    ``Review Type`` (``site_review``/``product_review``)
title                     ``Review Title``, ``title``
body (required)           ``Review Content``, ``content``
rating (required)         ``Review Score``, ``score``
date (required)           ``Date``, ``Created At``, ``Review Creation Date``
name                      ``Display Name``, ``Reviewer Display Name``, ``Reviewer Name``,
                          ``User Name``, ``name``
e-mail                    ``Email``, ``User Email``, ``Reviewer Email``
published                 ``Published`` (true/false) or ``Status`` (published, pending,
                          unpublished, rejected, deleted, archived, spam...)
deleted                   ``Deleted`` (true/false)
verified buyer            ``Verified Buyer`` / ``Verified Purchase`` / ``Is Verified
                          Buyer`` (true/false), or ``User Type`` (``verified_buyer``;
                          ``verified_reviewer`` and ``anonymous_user`` are not)
the shop's reply          ``Comment Content``, ``Comment``, ``Public Comment``; with
                          ``Comment Date``/``Comment Created At`` and ``Comment Public``
                          (a reply marked not public is not imported)
votes                     ``Votes Up``/``Up Votes``/``Helpful Votes``, ``Votes Down``/
                          ``Down Votes``
========================  ==============================================================

The short spellings (``title``, ``content``, ``score``, ``created_at``) are the names of
Yotpo's API fields, which API-based export tools keep. Judge.me's ``body``, ``rating``
and ``review_date`` are deliberately not taken: a Judge.me file given as ``--format
yotpo`` is refused (its curation column would otherwise be ignored) rather than misread.

Other columns (product title, URL, image, description, sentiment, country, order id,
images, custom fields) are not stored. A site review (``Review Type`` ``site_review``, or
Yotpo's product id ``yotpo_site_reviews``) becomes a store review. Without a ``Review
ID`` column, ``source_id`` is a hash of product, reviewer, date and body (as for
Judge.me). Dates: ISO 8601 or Yotpo's ``MM/DD/YYYY`` (``csvfiles.date``). Names
and addresses are cleaned, shortened or left out (never a refusal), as for Judge.me. Ratings 1-5,
or out of 10 or 100 detected and mapped, with a note.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ...models import STORE, Status
from .. import csvfiles
from ..csvfiles import Row, RowError
from ..records import Options, Record, Refused, ReviewRecord

COLUMNS = csvfiles.Columns(
    spellings={
        "review_id": ("id",),
        "product_id": (),
        "sku": ("product_sku",),
        "review_type": (),
        "review_title": ("title",),
        "review_content": ("content",),
        "review_score": ("score",),
        "date": ("created_at", "review_creation_date"),
        "display_name": (
            "reviewer_display_name",
            "reviewer_name",
            "user_name",
            "name",
        ),
        "email": ("user_email", "reviewer_email"),
        "published": (),
        "status": ("review_status",),
        "deleted": (),
        "verified_buyer": ("verified_purchase", "is_verified_buyer"),
        "user_type": ("reviewer_type",),
        "comment_content": ("comment", "public_comment"),
        "comment_date": ("comment_created_at",),
        "comment_public": (),
        "votes_up": ("up_votes", "helpful_votes"),
        "votes_down": ("down_votes",),
    },
    required=("review_content", "review_score", "date"),
    any_of=(("product_id", "sku"),),
    kind="Yotpo's reviews export",
)

SITE_PRODUCT = "yotpo_site_reviews"

_STATUS = {
    "published": Status.PUBLISHED,
    "approved": Status.PUBLISHED,
    "active": Status.PUBLISHED,
    "pending": Status.PENDING,
    "unpublished": Status.PENDING,
    "not published": Status.PENDING,
    "not_published": Status.PENDING,
    "hidden": Status.PENDING,
    "rejected": Status.REJECTED,
    "deleted": Status.REJECTED,
    "archived": Status.REJECTED,
    "spam": Status.SPAM,
}


def total(path: Path) -> int | None:
    """How many rows :func:`read` will yield a record for, for a progress bar's total
    (see ``csvfiles.count_rows``)."""
    return csvfiles.count_rows(path)


def read(path: Path, options: Options) -> Iterator[Record]:
    """Every row of a Yotpo reviews CSV as a ReviewRecord or Refused, in file order,
    then the Notes (encoding, rating scale)."""
    scale = csvfiles.decide_scale(csvfiles.sample(path, COLUMNS, "review_score"))
    mapped = 0
    people = csvfiles.People()
    for item in csvfiles.read_rows(path, COLUMNS):
        if not isinstance(item, Row):
            yield item
            continue
        try:
            record = _record(item, scale, people)
        except RowError as error:
            yield Refused(item.line, str(error), item.get("review_id").strip() or None)
            continue
        if scale.top != 5:
            mapped += 1
        yield record
    note = scale.note(mapped)
    if note is not None:
        yield note
    yield from people.notes()


def _status(row: Row) -> Status:
    if csvfiles.boolean(row.get("deleted"), "deleted"):
        return Status.REJECTED
    status = row.get("status").strip().lower()
    if status:
        if status not in _STATUS:
            raise RowError(
                f"status {row.get('status').strip()!r} is not published, pending, "
                "rejected, deleted or spam"
            )
        return _STATUS[status]
    if "published" in row.cells:
        published = row.get("published").strip().lower()
        if published in _STATUS:  # some exports write the status word here
            return _STATUS[published]
        return (
            Status.PUBLISHED
            if csvfiles.boolean(row.get("published"), "published")
            else Status.PENDING
        )
    return Status.PUBLISHED


def _verified(row: Row) -> bool:
    if row.get("verified_buyer").strip():
        return csvfiles.boolean(row.get("verified_buyer"), "verified buyer")
    return csvfiles.column_key(row.get("user_type")) == "verified_buyer"


def _count(row: Row, name: str) -> int:
    value = row.get(name).strip()
    if not value:
        return 0
    if not value.isdigit() or len(value) > 9:
        raise RowError(f"{name.replace('_', ' ')} {value!r} is not a count")
    return int(value)


def _product(row: Row) -> str:
    if "site" in row.get("review_type").strip().lower():
        return STORE
    column = "product_id" if row.get("product_id").strip() else "sku"
    value = row.get(column).strip()
    if value == SITE_PRODUCT:
        return STORE
    if not value:
        raise RowError("no product id")
    return csvfiles.product(value, "product id" if column == "product_id" else "sku")


def _record(row: Row, scale: csvfiles.RatingScale, people: csvfiles.People) -> ReviewRecord:
    product = _product(row)
    rating = scale.stars(row.get("review_score"))
    body = csvfiles.text(row.get("review_content"), "review content", csvfiles.BODY_MAX)
    if not body:
        raise RowError("no body")
    title = csvfiles.text(row.get("review_title"), "title", csvfiles.TITLE_MAX) or None
    created_at = csvfiles.date(row.get("date"), "date")
    reply = csvfiles.text(row.get("comment_content"), "comment", csvfiles.BODY_MAX) or None
    if reply is not None and not csvfiles.boolean(
        row.get("comment_public").strip() or "true", "comment public"
    ):
        reply = None  # a private reply (Yotpo sends it by e-mail only)
    reply_at = None
    if reply is not None and row.get("comment_date").strip():
        reply_at = csvfiles.date(row.get("comment_date"), "comment date")
    review_id = row.get("review_id").strip()
    if len(review_id) > 128:
        raise RowError("review id is longer than 128 characters")
    verified, status = _verified(row), _status(row)
    helpful, unhelpful = _count(row, "votes_up"), _count(row, "votes_down")
    # Last, once nothing can refuse the row: the notes count only rows imported.
    name = people.name(row.get("display_name"))
    email = people.email(row.get("email"))
    source_id = review_id or csvfiles.stable_id(
        "yotpo_", product, (email or "").lower() or name, row.get("date").strip(), body
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
        helpful_count=helpful,
        unhelpful_count=unhelpful,
    )
