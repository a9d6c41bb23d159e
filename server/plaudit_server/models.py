"""The database schema as SQLAlchemy 2 typed models.

Summaries are not computed on read: each product row carries counters (published count,
rating sum, one bucket per star) that the moderation service moves in the same
transaction as the change that moves them. See ``services/summaries.py``.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from .ids import new_id
from .timeutil import utcnow


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC.

    SQLite has no time zones and PostgreSQL's ``timestamptz`` would make ``date()`` depend
    on the session time zone; naive UTC behaves the same on both, so day buckets in the
    statistics and keyset comparisons in cursors agree across databases.
    """

    impl = sa.DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    # Stable constraint names, so Alembic can drop and alter them on every backend.
    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {datetime: UTCDateTime()}


class Status(enum.StrEnum):
    """Moderation status of a review or a comment. Only ``published`` is ever public."""

    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"
    SPAM = "spam"


class InvitationStatus(enum.StrEnum):
    """Where a review request stands; ``scheduled`` and ``sent`` still have work ahead."""

    SCHEDULED = "scheduled"
    SENT = "sent"
    REVIEWED = "reviewed"
    CANCELLED = "cancelled"
    UNSUBSCRIBED = "unsubscribed"
    FAILED = "failed"
    EXPIRED = "expired"


# The external id of the product row that stands for the shop itself: store reviews are
# reviews of this product, so counters, summaries, caching and moderation serve them
# unchanged. ``@`` is not allowed in a shop's product ids, so it can never collide.
STORE = "@store"


class Moderation(enum.StrEnum):
    """``post`` publishes at once unless a spam check flags it; ``pre`` holds everything."""

    POST = "post"
    PRE = "pre"


# Why an item was rejected (also: marked spam by a person), told to its author and
# counted in the transparency report. Never the rating: see ``guidelines.py``.
REJECT_REASONS = (
    "spam",
    "offensive",
    "off_topic",
    "personal_data",
    "not_genuine",
    "conflict_of_interest",
    "other",
)

# What a visitor may report an item for; ``illegal`` is a notice of illegal content
# (EU Digital Services Act, art. 16) and needs details and an address.
REPORT_REASONS = ("spam", "offensive", "off_topic", "personal_data", "fake", "illegal", "other")


class ReportStatus(enum.StrEnum):
    OPEN = "open"
    KEPT = "kept"
    REMOVED = "removed"


def _enum(cls: type[enum.Enum], name: str) -> sa.Enum:
    # Stored by value as a short string with a CHECK, never as a native or magic number.
    return sa.Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda e: [m.value for m in e],
    )


site_owners = sa.Table(
    "site_owners",
    Base.metadata,
    sa.Column("site_id", sa.ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("owner_id", sa.ForeignKey("owners.id", ondelete="CASCADE"), primary_key=True),
)


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=lambda: new_id("site"))
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    allowed_origins: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    moderation: Mapped[Moderation] = mapped_column(
        _enum(Moderation, "moderation"), default=Moderation.POST
    )
    blocked_words: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # Per-site overrides of the configured rate limits, e.g.
    # {"submissions_per_visitor": "3/minute"}; null means the server's defaults.
    rate_limits: Mapped[dict[str, str] | None] = mapped_column(sa.JSON)
    # The language of messages to people whose own is not known (en, de, fr, es).
    locale: Mapped[str] = mapped_column(sa.String(8), default="en", server_default="en")
    # Review requests: days after the order's invitation is created until it is sent,
    # days after sending until the one reminder (0: none), days a link stays valid.
    invite_delay_days: Mapped[int] = mapped_column(default=0, server_default="0")
    invite_reminder_days: Mapped[int] = mapped_column(default=7, server_default="7")
    invite_ttl_days: Mapped[int] = mapped_column(default=60, server_default="60")
    # Notifications to the shop: where (null: the first owner's address) and how often
    # (off, instant, daily) it hears of items waiting in the queue; items created after
    # ``owner_notified_at`` are the ones it has not heard of yet.
    notify_email: Mapped[str | None] = mapped_column(sa.String(254))
    notify_new_items: Mapped[str] = mapped_column(
        sa.String(16), default="daily", server_default="daily"
    )
    owner_notified_at: Mapped[datetime | None]
    # The event types the site's enabled webhooks want, together ("*": all), kept by
    # services/webhooks.py: the request that emits an event reads it with the site, so
    # a site without webhooks spends nothing on events (events.emit).
    webhook_events: Mapped[list[str]] = mapped_column(
        # jsonb on PostgreSQL: json has no equality, which comparing defaults needs.
        sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
        default=list,
        server_default=sa.text("'[]'"),
    )
    # Open reports that send a published item back to pending until decided (0: never).
    report_threshold: Mapped[int] = mapped_column(default=3, server_default="3")
    # The moderation guidelines the widget links to; null: the default in the site's
    # language (``guidelines.py``).
    guidelines: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    owners: Mapped[list[Owner]] = relationship(secondary=site_owners, back_populates="sites")
    api_keys: Mapped[list[ApiKey]] = relationship(
        back_populates="site", cascade="all, delete-orphan", passive_deletes=True
    )


class Owner(Base):
    """A person who signs in to the admin page; may own several sites."""

    __tablename__ = "owners"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=lambda: new_id("own"))
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    # Part of every admin session; bumped on sign-out and password change, which ends
    # every session issued before (a copied cookie stops working).
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    sites: Mapped[list[Site]] = relationship(secondary=site_owners, back_populates="owners")


class ApiKey(Base):
    """A secret key; only its SHA-256 is stored, so a database leak leaks no key."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=lambda: new_id("key"))
    site_id: Mapped[str] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80), default="default")
    # The first characters of the key, so an owner can tell keys apart in a list.
    prefix: Mapped[str] = mapped_column(sa.String(20))
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    site: Mapped[Site] = relationship(back_populates="api_keys")


class Product(Base):
    """A shop's product, created on first use; carries the summary counters."""

    __tablename__ = "products"
    __table_args__ = (sa.UniqueConstraint("site_id", "external_id"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=lambda: new_id("prd"))
    site_id: Mapped[str] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(sa.String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_count: Mapped[int] = mapped_column(default=0, server_default="0")
    rating_sum: Mapped[int] = mapped_column(default=0, server_default="0")
    stars_1: Mapped[int] = mapped_column(default=0, server_default="0")
    stars_2: Mapped[int] = mapped_column(default=0, server_default="0")
    stars_3: Mapped[int] = mapped_column(default=0, server_default="0")
    stars_4: Mapped[int] = mapped_column(default=0, server_default="0")
    stars_5: Mapped[int] = mapped_column(default=0, server_default="0")


def _where(condition: str) -> dict[str, Any]:
    """A partial index's condition, on both databases."""
    return {"postgresql_where": sa.text(condition), "sqlite_where": sa.text(condition)}


class Moderated:
    """What reviews and comments share of moderation: the last decision, open reports,
    the author's appeal, the incentive label."""

    # The last decision by a person or the system (null: never decided):
    # ``moderation_reason`` is one of ``REJECT_REASONS`` for rejected and spam items;
    # ``moderation_note`` is shown to the author; ``moderated_by`` is the actor's label.
    moderation_reason: Mapped[str | None] = mapped_column(sa.String(32))
    moderation_note: Mapped[str | None] = mapped_column(sa.Text)
    moderated_at: Mapped[datetime | None]
    moderated_by: Mapped[str | None] = mapped_column(sa.String(200))
    # Reports not yet decided (``Report``), kept with the item for the admin lists.
    reports_open: Mapped[int] = mapped_column(default=0, server_default="0")
    # The author's one appeal against a rejection, through its manage link.
    appeal_message: Mapped[str | None] = mapped_column(sa.Text)
    appealed_at: Mapped[datetime | None]
    # Received an incentive (a discount, a gift) for writing it: disclosed publicly.
    incentivized: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


class Review(Moderated, Base):
    __tablename__ = "reviews"
    __table_args__ = (
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        # Public lists: one index per sort order, each matching its ORDER BY exactly, so
        # a keyset page costs the same wherever it starts.
        sa.Index(None, "product_id", "status", "created_at", "id"),
        sa.Index(None, "product_id", "status", "rating", "created_at", "id"),
        sa.Index(None, "product_id", "status", "helpful_count", "created_at", "id"),
        # Admin lists and incremental sync (the first also serves "all statuses" of one
        # product in the moderation queue).
        sa.Index(None, "product_id", "created_at", "id"),
        sa.Index(None, "site_id", "created_at", "id"),
        sa.Index(None, "site_id", "status", "created_at", "id"),
        sa.Index(None, "site_id", "updated_at", "id"),
        # Duplicate-text spam check (per network; items without one are never asked
        # for, and every index is paid for by each row written: migration 0014).
        sa.Index(
            None, "site_id", "network_hash", "body_hash", **_where("network_hash IS NOT NULL")
        ),
        # One review per product per invitation (the reviews that answer one).
        sa.Index(
            "uq_reviews_invitation_id_product_id",
            "invitation_id",
            "product_id",
            unique=True,
            **_where("invitation_id IS NOT NULL"),
        ),
        sa.UniqueConstraint("site_id", "source", "source_id"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=lambda: new_id("rev"))
    site_id: Mapped[str] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"))
    product_id: Mapped[str] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"))
    rating: Mapped[int] = mapped_column(sa.SmallInteger)
    title: Mapped[str | None] = mapped_column(sa.String(120))
    body: Mapped[str] = mapped_column(sa.Text)
    author_name: Mapped[str] = mapped_column(sa.String(80))
    author_email: Mapped[str | None] = mapped_column(sa.String(254))
    verified_buyer: Mapped[bool] = mapped_column(default=False)
    # The review request it answers (verified_buyer then is true): one review per
    # product per invitation, a second submission edits the first.
    invitation_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("invitations.id", ondelete="SET NULL")
    )
    status: Mapped[Status] = mapped_column(_enum(Status, "status"))
    spam_reasons: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    visitor_hash: Mapped[str | None] = mapped_column(sa.String(64))
    # The submitter's network (visitors.network_hash): the duplicate-text check's key.
    network_hash: Mapped[str | None] = mapped_column(sa.String(64))
    body_hash: Mapped[str | None] = mapped_column(sa.String(64))
    helpful_count: Mapped[int] = mapped_column(default=0, server_default="0")
    unhelpful_count: Mapped[int] = mapped_column(default=0, server_default="0")
    comment_count: Mapped[int] = mapped_column(default=0, server_default="0")
    reply_body: Mapped[str | None] = mapped_column(sa.Text)
    reply_created_at: Mapped[datetime | None]
    # The author asked to hear when the shop answers (``"notify": true``); set once told.
    notify: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    reply_notified_at: Mapped[datetime | None]
    # Where an imported item came from (``plaudit import``: the tool, and the item's id
    # there): importing the same file again finds it and adds nothing. Null: made here.
    source: Mapped[str | None] = mapped_column(sa.String(16))
    source_id: Mapped[str | None] = mapped_column(sa.String(128))
    # When the shop first answered (its reply, or its own comment on the review): the
    # response metrics (reply rate, time to reply) read this, not the reply itself.
    first_reply_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    product: Mapped[Product] = relationship(lazy="joined", innerjoin=True)


class Comment(Moderated, Base):
    __tablename__ = "comments"
    __table_args__ = (
        sa.Index(None, "product_id", "review_id", "status", "created_at", "id"),
        sa.Index(None, "site_id", "created_at", "id"),
        sa.Index(None, "site_id", "status", "created_at", "id"),
        sa.Index(None, "site_id", "updated_at", "id"),
        sa.Index(None, "parent_id"),
        sa.Index(None, "review_id"),
        sa.Index(
            None, "site_id", "network_hash", "body_hash", **_where("network_hash IS NOT NULL")
        ),
        sa.UniqueConstraint("site_id", "source", "source_id"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=lambda: new_id("cmt"))
    site_id: Mapped[str] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"))
    product_id: Mapped[str] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"))
    review_id: Mapped[str | None] = mapped_column(sa.ForeignKey("reviews.id", ondelete="CASCADE"))
    parent_id: Mapped[str | None] = mapped_column(sa.ForeignKey("comments.id", ondelete="CASCADE"))
    # 0 for a top-level comment; replies nest at most to depth 2 (three levels).
    depth: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    body: Mapped[str] = mapped_column(sa.Text)
    author_name: Mapped[str] = mapped_column(sa.String(80))
    author_email: Mapped[str | None] = mapped_column(sa.String(254))
    is_owner: Mapped[bool] = mapped_column(default=False)
    status: Mapped[Status] = mapped_column(_enum(Status, "status"))
    # The author asked to hear when the shop answers (``"notify": true``); set once told.
    notify: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    reply_notified_at: Mapped[datetime | None]
    spam_reasons: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    visitor_hash: Mapped[str | None] = mapped_column(sa.String(64))
    # The submitter's network (visitors.network_hash): the duplicate-text check's key.
    network_hash: Mapped[str | None] = mapped_column(sa.String(64))
    body_hash: Mapped[str | None] = mapped_column(sa.String(64))
    # Where an imported item came from (``plaudit import``: the tool, and the item's id
    # there): importing the same file again finds it and adds nothing. Null: made here.
    source: Mapped[str | None] = mapped_column(sa.String(16))
    source_id: Mapped[str | None] = mapped_column(sa.String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    product: Mapped[Product] = relationship(lazy="joined", innerjoin=True)


def search_document(columns: Sequence[sa.Column[Any]]) -> sa.ColumnElement[Any]:
    """The text columns an admin search (``q``) looks in, joined into one text.

    On PostgreSQL a trigram index (pg_trgm, GIN) is built on exactly this expression, so
    a search finds its few candidates through the index instead of reading every row of
    the site; ``services/admin_lists.py`` then keeps those that match a column itself,
    so a word made of the end of one column and the start of the next is no match.
    The empty strings are SQL literals, not parameters: a statement whose expression
    differs from the index's (a parameter is not a constant) would not use the index.
    """
    empty, space = sa.literal_column("''", sa.Text), sa.literal_column("' '", sa.Text)
    parts = [
        sa.func.coalesce(column, empty, type_=sa.Text) if column.nullable else column
        for column in columns
    ]
    document: sa.ColumnElement[Any] = parts[0]
    for part in parts[1:]:  # op("||") nests, where + would flatten out of Index's sight
        document = document.op("||", return_type=sa.Text)(space).op("||", return_type=sa.Text)(part)
    return document


# What ``q`` searches in, for the admin lists and for the indexes below.
def _columns(model: type[Base], *names: str) -> tuple[sa.Column[Any], ...]:
    table = model.__table__
    assert isinstance(table, sa.Table)
    return tuple(table.c[name] for name in names)


REVIEW_SEARCH = _columns(Review, "body", "title", "author_name", "author_email")
COMMENT_SEARCH = _columns(Comment, "body", "author_name", "author_email")
for _model, _searched in ((Review, REVIEW_SEARCH), (Comment, COMMENT_SEARCH)):
    _table = _model.__table__
    assert isinstance(_table, sa.Table)
    _table.append_constraint(
        sa.Index(
            f"ix_{_model.__tablename__}_search_trgm",
            search_document(_searched).label("search"),
            postgresql_using="gin",
            postgresql_ops={"search": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql")  # SQLite has no trigram index: a search reads the rows
    )


class StatusCount(Base):
    """How many of a site's reviews (or comments) are in one status.

    The admin page's tabs and the statistics read these few rows instead of counting a
    site's items, which grows with the site. Moved by ``services/site_counts.py`` in the
    same transaction as every change of an item's status (new, moderated, deleted), as
    the product counters are for summaries.
    """

    __tablename__ = "status_counts"

    site_id: Mapped[str] = mapped_column(
        sa.ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True
    )
    subject: Mapped[str] = mapped_column(sa.String(16), primary_key=True)  # a table's name
    status: Mapped[Status] = mapped_column(_enum(Status, "status"), primary_key=True)
    count: Mapped[int] = mapped_column(default=0, server_default="0")


class Vote(Base):
    """One helpful/unhelpful vote per visitor and review; a second vote changes it."""

    __tablename__ = "votes"
    __table_args__ = (sa.Index(None, "review_id", "network_hash", "created_at"),)

    review_id: Mapped[str] = mapped_column(
        sa.ForeignKey("reviews.id", ondelete="CASCADE"), primary_key=True
    )
    visitor_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    # The voter's network (/24, /56), keyed: a review counts a few votes per network a day.
    network_hash: Mapped[str | None] = mapped_column(sa.String(64))
    helpful: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotencyRecord(Base):
    """The first response to a request carrying an ``Idempotency-Key``, kept for 24 h."""

    __tablename__ = "idempotency_keys"

    scope: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    # Null while the first request is still running.
    response_status: Mapped[int | None]
    response_body: Mapped[str | None] = mapped_column(sa.Text)
    response_headers: Mapped[dict[str, str] | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Invitation(Base):
    """A review request for one order: a mail at ``send_at``, one reminder, a link.

    The link's token is never stored: it is an HMAC of the id under the server's secret
    (``services/invitations.py``), so the admin API can show the link again while a copy
    of the database alone opens nothing; ``token_hash`` finds the invitation from it.
    ``due_at`` is when the worker next has something to do with it (send, remind,
    expire; null once nothing is left), ``claimed_at`` marks a mail being sent: it is
    committed before the SMTP conversation, so a crash in between never mails twice.
    """

    __tablename__ = "invitations"
    __table_args__ = (
        sa.UniqueConstraint("site_id", "order_id"),
        sa.Index(None, "site_id", "created_at", "id"),
        sa.Index(None, "site_id", "status", "created_at", "id"),
        sa.Index(None, "due_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=lambda: new_id("inv"))
    site_id: Mapped[str] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"))
    order_id: Mapped[str] = mapped_column(sa.String(128))
    email: Mapped[str] = mapped_column(sa.String(254))
    name: Mapped[str | None] = mapped_column(sa.String(80))
    products: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    store_review: Mapped[bool] = mapped_column(default=True)
    # The buyer is offered something for a review: its reviews are ``incentivized``.
    incentive: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    locale: Mapped[str] = mapped_column(sa.String(8))
    status: Mapped[InvitationStatus] = mapped_column(_enum(InvitationStatus, "invitation_status"))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    send_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    reviewed_at: Mapped[datetime | None]
    expires_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Suppression(Base):
    """An address that asked for no more messages of one kind from one site."""

    __tablename__ = "suppressions"

    site_id: Mapped[str] = mapped_column(
        sa.ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(sa.String(32), primary_key=True)  # "invitations", ...
    email: Mapped[str] = mapped_column(sa.String(254), primary_key=True)  # lowercased
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ImportJob(Base):
    """An import started from the admin page: its file, options, progress and report.

    The page polls this row while a worker (or, without Redis, a thread of the web
    process) runs the import, so the counts are moved as batches are committed. Only the
    first refused rows are kept here (``refused``: ``[line, reason]`` pairs), enough for
    the page; the full list is a CSV beside the uploads. ``stored_name`` is the upload's
    random name in the instance folder (never the client's), cleared once it is deleted.
    """

    __tablename__ = "import_jobs"
    __table_args__ = (sa.Index(None, "site_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=lambda: new_id("imp"))
    site_id: Mapped[str] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"))
    format: Mapped[str] = mapped_column(sa.String(16))
    options: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    filename: Mapped[str] = mapped_column(sa.String(200))  # as the client named it, shown only
    stored_name: Mapped[str | None] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16), default="queued")
    total: Mapped[int | None]
    read_count: Mapped[int] = mapped_column(default=0, server_default="0")
    imported: Mapped[int] = mapped_column(default=0, server_default="0")
    duplicates: Mapped[int] = mapped_column(default=0, server_default="0")
    refused_count: Mapped[int] = mapped_column(default=0, server_default="0")
    written: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    summary: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    notes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    refused: Mapped[list[list[Any]]] = mapped_column(sa.JSON, default=list)
    error: Mapped[str | None] = mapped_column(sa.String(500))
    created_by: Mapped[str | None] = mapped_column(sa.String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class DeliveryStatus(enum.StrEnum):
    """Where one event's delivery to one webhook stands."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Webhook(Base):
    """A URL of the shop's that hears of events, signed as Standard Webhooks.

    ``secret`` signs every delivery; after a rotation the previous one signs too until
    ``previous_secret_expires_at``, so a receiver can switch without losing any.
    """

    __tablename__ = "webhooks"
    __table_args__ = (sa.Index(None, "site_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=lambda: new_id("wh"))
    site_id: Mapped[str] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(sa.String(2000))
    events: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    enabled: Mapped[bool] = mapped_column(default=True)
    description: Mapped[str | None] = mapped_column(sa.String(200))
    secret: Mapped[str] = mapped_column(sa.String(80))
    previous_secret: Mapped[str | None] = mapped_column(sa.String(80))
    previous_secret_expires_at: Mapped[datetime | None]
    # Why the server switched it off (a 410 from the receiver); null when enabled by hand.
    disabled_reason: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Event(Base):
    """The outbox: one row per event, written in the transaction of the change it tells
    of, so a rolled-back change leaves none and a committed one cannot be lost. The
    deliverer fans it out to the webhooks that want it (``dispatched_at``).

    ``body`` is the JSON exactly as signed and sent, so every retry sends the same bytes
    under the same ``webhook-id`` (this row's id).
    """

    __tablename__ = "webhook_events"
    __table_args__ = (
        sa.Index(None, "created_at"),
        # The deliverer's queue of events not yet fanned out to their webhooks.
        sa.Index(
            "ix_webhook_events_undispatched",
            "created_at",
            postgresql_where=sa.text("dispatched_at IS NULL"),
            sqlite_where=sa.text("dispatched_at IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=lambda: new_id("msg"))
    site_id: Mapped[str] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(sa.String(40))
    body: Mapped[str] = mapped_column(sa.Text)
    # When the deliverer made its deliveries, one per webhook that wanted it then
    # (null: not yet); the request that emits it writes this row alone.
    dispatched_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Delivery(Base):
    """One event for one webhook: its attempts so far and when the next one is due.

    ``next_attempt_at`` is null once nothing is left to do. A worker claims a due
    delivery by moving ``next_attempt_at`` past its attempt's deadline and committing
    before it connects: a worker that dies mid-attempt leaves it due again later
    (at-least-once; receivers deduplicate by ``webhook-id``).
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        sa.Index(None, "webhook_id", "created_at", "id"),
        sa.Index(None, "next_attempt_at"),
        sa.Index(None, "event_id"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=lambda: new_id("dlv"))
    webhook_id: Mapped[str] = mapped_column(sa.ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(sa.ForeignKey("webhook_events.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(sa.String(40))
    status: Mapped[DeliveryStatus] = mapped_column(
        _enum(DeliveryStatus, "delivery_status"), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    response_status: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship(lazy="joined", innerjoin=True)


class Message(Base):
    """A notification e-mail waiting to go out, written in the transaction of the change
    that calls for it (the shop's reply, new items in the queue), like webhook events.

    ``kind`` names the template and the suppression list that applies to it; ``data``
    holds what the template shows. ``due_at`` is null once sent or given up.
    """

    __tablename__ = "messages"
    __table_args__ = (sa.Index(None, "due_at"), sa.Index(None, "site_id", "created_at"))

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=lambda: new_id("mail"))
    site_id: Mapped[str] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    email: Mapped[str] = mapped_column(sa.String(254))
    locale: Mapped[str] = mapped_column(sa.String(8))
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    due_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Report(Base):
    """A visitor's report of a published review or comment, open until the shop decides.

    One per visitor and item (``visitor_hash``). ``object_id`` is not a foreign key:
    the report outlives the item it was about (the transparency report counts it), and
    an item deleted while reported closes its open reports as removed.
    """

    __tablename__ = "reports"
    __table_args__ = (
        sa.UniqueConstraint("object_id", "visitor_hash"),
        sa.Index(None, "site_id", "created_at", "id"),
        sa.Index(None, "site_id", "status", "created_at", "id"),
        sa.Index(None, "object_id", "status"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=lambda: new_id("rpt"))
    site_id: Mapped[str] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"))
    object_type: Mapped[str] = mapped_column(sa.String(16))  # "review" or "comment"
    object_id: Mapped[str] = mapped_column(sa.String(32))
    reason: Mapped[str] = mapped_column(sa.String(16))
    details: Mapped[str | None] = mapped_column(sa.Text)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    locale: Mapped[str] = mapped_column(sa.String(8), default="en", server_default="en")
    visitor_hash: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[ReportStatus] = mapped_column(
        _enum(ReportStatus, "report_status"), default=ReportStatus.OPEN
    )
    note: Mapped[str | None] = mapped_column(sa.Text)  # the decision's why, told the reporter
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(sa.String(200))


class AuditEntry(Base):
    """One line of a site's audit log: who did what to which object, and why.

    Append-only: nothing in the code updates or deletes a row, and database triggers
    (migration 0012, on PostgreSQL and SQLite) refuse an UPDATE, and a DELETE unless
    the site itself is being deleted. ``from_value``/``to_value`` are short strings (a
    status, a setting's value), never an item's text: a deleted review leaves its
    entries, not its words.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (
        sa.Index(None, "site_id", "at", "id"),
        sa.Index(None, "site_id", "object_id", "at", "id"),
        sa.Index(None, "site_id", "action", "at", "id"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=lambda: new_id("aud"))
    site_id: Mapped[str] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_type: Mapped[str] = mapped_column(sa.String(16))  # key, owner, system, reviewer
    actor_label: Mapped[str] = mapped_column(sa.String(200))
    action: Mapped[str] = mapped_column(sa.String(48))
    object_id: Mapped[str | None] = mapped_column(sa.String(64))
    from_value: Mapped[str | None] = mapped_column(sa.String(500))
    to_value: Mapped[str | None] = mapped_column(sa.String(500))
    reason: Mapped[str | None] = mapped_column(sa.String(32))
    note: Mapped[str | None] = mapped_column(sa.Text)


class ManageToken(Base):
    """The author's key to one submission (``/m/{token}``); only its SHA-256 is stored.

    Not a foreign key to the item: once the item is deleted the token still finds this
    row, so a reused link answers "deleted" (410) rather than "unknown" (404).
    """

    __tablename__ = "manage_tokens"
    __table_args__ = (sa.Index(None, "object_id"),)

    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    site_id: Mapped[str] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"))
    object_type: Mapped[str] = mapped_column(sa.String(16))  # "review" or "comment"
    object_id: Mapped[str] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


# ---------------------------------------------------------------- community

# Where an idea stands on the shop's roadmap, in the order it moves (``declined`` ends it
# without building it). Reaching ``planned`` or ``shipped`` tells the people who asked.
IDEA_STAGES = ("open", "under_review", "planned", "in_progress", "shipped", "declined")
ANNOUNCED_STAGES = ("planned", "shipped")


class Question(Moderated, Base):
    """A visitor's question about a product, answered by other customers and the shop.

    ``answer_count`` and ``helpful_count`` (the helpful votes of its published answers)
    are counters moved with the answers, so the public sorts are plain index scans.
    """

    __tablename__ = "questions"
    __table_args__ = (
        sa.Index(None, "product_id", "status", "created_at", "id"),
        sa.Index(None, "product_id", "status", "answer_count", "created_at", "id"),
        sa.Index(None, "product_id", "status", "helpful_count", "created_at", "id"),
        sa.Index(None, "site_id", "created_at", "id"),
        sa.Index(None, "site_id", "status", "created_at", "id"),
        sa.Index(None, "site_id", "updated_at", "id"),
        sa.Index(None, "site_id", "network_hash", "body_hash"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=lambda: new_id("que"))
    site_id: Mapped[str] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"))
    product_id: Mapped[str] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(sa.Text)
    author_name: Mapped[str] = mapped_column(sa.String(80))
    author_email: Mapped[str | None] = mapped_column(sa.String(254))
    status: Mapped[Status] = mapped_column(_enum(Status, "status"))
    spam_reasons: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    visitor_hash: Mapped[str | None] = mapped_column(sa.String(64))
    network_hash: Mapped[str | None] = mapped_column(sa.String(64))
    body_hash: Mapped[str | None] = mapped_column(sa.String(64))
    answer_count: Mapped[int] = mapped_column(default=0, server_default="0")
    helpful_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # The asker wants to hear of the first published answer; set once told.
    notify: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    answer_notified_at: Mapped[datetime | None]
    # When the product's reviewers were asked to answer ("ask the community"): once.
    community_asked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    product: Mapped[Product] = relationship(lazy="joined", innerjoin=True)


class Answer(Moderated, Base):
    """An answer to a question: the shop's (``is_owner``), a verified buyer's, anyone's.

    ``rank`` orders them as the widget shows them (the shop's first, then verified
    buyers', then by helpful votes): 2 for the shop, 1 for a verified buyer, else 0,
    kept in a column so one index serves the order and its cursors.
    """

    __tablename__ = "answers"
    __table_args__ = (
        sa.Index(None, "question_id", "status", "rank", "helpful_count", "created_at", "id"),
        sa.Index(None, "site_id", "created_at", "id"),
        sa.Index(None, "site_id", "status", "created_at", "id"),
        sa.Index(None, "site_id", "updated_at", "id"),
        sa.Index(None, "site_id", "network_hash", "body_hash"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=lambda: new_id("ans"))
    site_id: Mapped[str] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(sa.ForeignKey("questions.id", ondelete="CASCADE"))
    product_id: Mapped[str] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(sa.Text)
    author_name: Mapped[str] = mapped_column(sa.String(80))
    author_email: Mapped[str | None] = mapped_column(sa.String(254))
    is_owner: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    verified_buyer: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    rank: Mapped[int] = mapped_column(sa.SmallInteger, default=0, server_default="0")
    status: Mapped[Status] = mapped_column(_enum(Status, "status"))
    spam_reasons: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    visitor_hash: Mapped[str | None] = mapped_column(sa.String(64))
    network_hash: Mapped[str | None] = mapped_column(sa.String(64))
    body_hash: Mapped[str | None] = mapped_column(sa.String(64))
    helpful_count: Mapped[int] = mapped_column(default=0, server_default="0")
    unhelpful_count: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    product: Mapped[Product] = relationship(lazy="joined", innerjoin=True)


class AnswerVote(Base):
    """One helpful/unhelpful vote per visitor and answer, as ``Vote`` is for reviews."""

    __tablename__ = "answer_votes"
    __table_args__ = (sa.Index(None, "answer_id", "network_hash", "created_at"),)

    answer_id: Mapped[str] = mapped_column(
        sa.ForeignKey("answers.id", ondelete="CASCADE"), primary_key=True
    )
    visitor_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    network_hash: Mapped[str | None] = mapped_column(sa.String(64))
    helpful: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Idea(Moderated, Base):
    """A customer's (or the shop's) idea on the site's board, voted on and moved through
    ``IDEA_STAGES``. A merged idea is rejected with ``merged_into`` set: its votes and
    links live on in the idea it was merged into."""

    __tablename__ = "ideas"
    __table_args__ = (
        sa.CheckConstraint(
            "stage IN (" + ", ".join(f"'{s}'" for s in IDEA_STAGES) + ")", name="stage"
        ),
        sa.Index(None, "site_id", "status", "vote_count", "created_at", "id"),
        sa.Index(None, "site_id", "status", "created_at", "id"),
        sa.Index(None, "site_id", "status", "stage", "vote_count", "created_at", "id"),
        sa.Index(None, "site_id", "created_at", "id"),
        sa.Index(None, "site_id", "updated_at", "id"),
        sa.Index(None, "site_id", "network_hash", "body_hash"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=lambda: new_id("idea"))
    site_id: Mapped[str] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"))
    product_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("products.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(sa.String(120))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    author_name: Mapped[str] = mapped_column(sa.String(80))
    author_email: Mapped[str | None] = mapped_column(sa.String(254))
    status: Mapped[Status] = mapped_column(_enum(Status, "status"))
    stage: Mapped[str] = mapped_column(sa.String(16), default="open", server_default="open")
    stage_note: Mapped[str | None] = mapped_column(sa.Text)
    stage_changed_at: Mapped[datetime | None]
    # The stages whose message ("you asked, we built it") went out: once per stage.
    announced: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    vote_count: Mapped[int] = mapped_column(default=0, server_default="0")
    merged_into: Mapped[str | None] = mapped_column(sa.ForeignKey("ideas.id", ondelete="SET NULL"))
    spam_reasons: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    visitor_hash: Mapped[str | None] = mapped_column(sa.String(64))
    network_hash: Mapped[str | None] = mapped_column(sa.String(64))
    body_hash: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    product: Mapped[Product | None] = relationship(lazy="joined")


class IdeaVote(Base):
    """One vote per visitor and idea; withdrawing deletes it. ``email``: the voter wants
    to hear when the idea is planned or shipped."""

    __tablename__ = "idea_votes"
    __table_args__ = (sa.Index(None, "idea_id", "network_hash", "created_at"),)

    idea_id: Mapped[str] = mapped_column(
        sa.ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True
    )
    visitor_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    network_hash: Mapped[str | None] = mapped_column(sa.String(64))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdeaSource(Base):
    """A review or comment an idea was made from ("make this an idea"). Not a foreign
    key: the link outlives a deleted item (and shows nothing of it)."""

    __tablename__ = "idea_sources"
    __table_args__ = (sa.Index(None, "object_id"),)

    idea_id: Mapped[str] = mapped_column(
        sa.ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True
    )
    object_type: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    object_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
