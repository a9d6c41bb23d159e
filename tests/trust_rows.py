"""Rows of a site's history written with the models: reviews, comments and reports as
they would be after it, at known times relative to ``now`` (created N hours ago, first
answered M hours later, decided by a person after K hours). The response metrics and
the transparency report are worked out by hand from them (tests/server/test_responses.py,
test_trust_pages.py, tests/admin_ui/test_insight_responses.py)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from plaudit_server.models import Comment, Product, Report, ReportStatus, Review, Site, Status
from plaudit_server.timeutil import utcnow

# One "now" for a test run: the tests compute their expected windows and months from it.
NOW = utcnow()


class Rows:
    """Writes a site's reviews, comments and reports as they would be after their
    history, with times relative to ``now``."""

    def __init__(self, session: Session, site: Site, now: datetime) -> None:
        self.session = session
        self.site = site
        self.now = now
        self.products: dict[str, Product] = {}
        self.serial = itertools.count(1)

    def product(self, external_id: str) -> Product:
        if external_id not in self.products:
            product = Product(site_id=self.site.id, external_id=external_id)
            self.session.add(product)
            self.session.flush()
            self.products[external_id] = product
        return self.products[external_id]

    def review(
        self,
        *,
        product: str = "sku-1",
        rating: int = 4,
        ago: timedelta = timedelta(days=3),
        replied_after: float | None = None,
        status: Status = Status.PUBLISHED,
        reason: str | None = None,
        decided_after: float | None = None,
        source: str | None = None,
    ) -> Review:
        created = self.now - ago
        review = Review(
            site_id=self.site.id,
            product_id=self.product(product).id,
            rating=rating,
            body="A review",
            author_name="Ada",
            status=status,
            moderation_reason=reason,
            created_at=created,
            updated_at=created,
            source=source,
            source_id=None if source is None else f"{source}-{next(self.serial)}",
        )
        if replied_after is not None:
            review.first_reply_at = created + timedelta(hours=replied_after)
        if decided_after is not None:
            review.moderated_at = created + timedelta(hours=decided_after)
        self.session.add(review)
        self.session.flush()
        return review

    def comment(
        self,
        *,
        status: Status = Status.PUBLISHED,
        reason: str | None = None,
        ago: timedelta = timedelta(days=2),
        decided_after: float | None = None,
        is_owner: bool = False,
        source: str | None = None,
    ) -> Comment:
        created = self.now - ago
        comment = Comment(
            site_id=self.site.id,
            product_id=self.product("sku-1").id,
            body="A comment",
            author_name="Fan",
            is_owner=is_owner,
            status=status,
            moderation_reason=reason,
            created_at=created,
            updated_at=created,
            source=source,
            source_id=None if source is None else f"{source}-{next(self.serial)}",
        )
        if decided_after is not None:
            comment.moderated_at = created + timedelta(hours=decided_after)
        self.session.add(comment)
        self.session.flush()
        return comment

    def report(self, status: ReportStatus, *, ago: timedelta = timedelta(days=1)) -> Report:
        report = Report(
            site_id=self.site.id,
            object_type="review",
            object_id=f"rev_reported{next(self.serial)}",
            reason="spam",
            visitor_hash=f"visitor-{next(self.serial)}",
            status=status,
            created_at=self.now - ago,
        )
        self.session.add(report)
        self.session.flush()
        return report
