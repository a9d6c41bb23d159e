# Generated from plaudit/_async/products.py by sdk/scripts/unasync.py: do not edit;
# edit that file and run the script.
"""``client.products``: the public side of a site, as its widget shows it.

These are the public endpoints, which name the site in the URL. Every method takes
``site=`` (a site's slug); left out, it is the site of the client's API key, looked up
once with ``client.site.get()`` and remembered. So a shop reads its own public data
without repeating its slug, and can still read another site's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from .._base_client import path_segment
from .._base_resource import APIResource, chunked
from .._models import (
    Answer,
    Comment,
    CommunityCounts,
    Idea,
    IdeaStage,
    Question,
    Review,
    Summary,
)
from .pagination import CursorPage, ProductReviewsPage

if TYPE_CHECKING:
    from .client import Plaudit

__all__ = ["Products", "reviews_page"]

ProductSort = Literal["newest", "oldest", "highest", "lowest", "helpful"]
#: ``"answered"``: the most answers first; ``"helpful"``: the most helpful votes first.
QuestionSort = Literal["newest", "answered", "helpful"]
#: ``"top"``: most votes first.
BoardSort = Literal["top", "newest"]
SUMMARIES_BATCH = 100

T = TypeVar("T")


def _site_path(site: str) -> str:
    return f"sites/{path_segment(site, 'site')}"


def _product_path(site: str, product: str, what: str) -> str:
    return f"{_site_path(site)}/products/{path_segment(product, 'product')}/{what}"


def reviews_page(
    client: Plaudit, path: str, params: dict[str, Any], cursor: str | None
) -> ProductReviewsPage:
    """A page of published reviews with their subject's summary: a product's, or the
    shop's own (``client.store``); its next page is read from the same ``path``."""
    data = client.request("GET", path, params={**params, "cursor": cursor})
    return ProductReviewsPage(
        [Review.from_dict(item) for item in data["reviews"]],
        data.get("next_cursor"),
        lambda next_cursor: reviews_page(client, path, params, next_cursor),
        summary=Summary.from_dict(data["summary"]),
    )


def _unique(products: Iterable[str]) -> list[str]:
    if isinstance(products, str):
        raise TypeError("products must be a list of product ids, not one string.")
    return list(dict.fromkeys(products))


class Products(APIResource):
    """Published reviews, ratings, comments and questions of a site's products, and its
    idea board (public API)."""

    def _site(self, site: str | None) -> str:
        return site if site is not None else self._client._own_site_id()

    def summary(self, product: str, *, site: str | None = None) -> Summary:
        """The star rating of one product: count, average and histogram."""
        summaries = self.summaries([product], site=site)
        return summaries[product]

    def summaries(self, products: Iterable[str], *, site: str | None = None) -> dict[str, Summary]:
        """Ratings of many products at once (as for star badges on a listing page).

        Any number of products: they are asked for 100 at a time. Products without
        reviews have a count of 0.
        """
        batches = self._batched(products, site, "summaries")
        return {product: Summary.from_dict(s) for b in batches for product, s in b.items()}

    def community(
        self, products: Iterable[str], *, site: str | None = None
    ) -> dict[str, CommunityCounts]:
        """Question counts of many products at once (published questions, and how many
        are answered), batched like :meth:`summaries`; a product without questions has
        zeros."""
        wanted = _unique(products)
        batches = self._batched(wanted, site, "community", key="counts")
        found = {product: CommunityCounts.from_dict(c) for b in batches for product, c in b.items()}
        return {product: found.get(product, CommunityCounts()) for product in wanted}

    def _batched(
        self, products: Iterable[str], site: str | None, what: str, *, key: str | None = None
    ) -> list[dict[str, Any]]:
        """The per-product objects of ``sites/{site}/{what}?products=...``, asked for
        100 products at a time: one dict (product to object) per request."""
        site = self._site(site)
        answers: list[dict[str, Any]] = []
        for batch in chunked(_unique(products), SUMMARIES_BATCH):
            data = self._client.request(
                "GET", f"{_site_path(site)}/{what}", params={"products": ",".join(batch)}
            )
            answers.append(dict(data[key or what]))
        return answers

    def reviews(
        self,
        product: str,
        *,
        site: str | None = None,
        sort: ProductSort | None = None,
        rating: int | None = None,
        limit: int | None = None,
    ) -> ProductReviewsPage:
        """The first page of a product's published reviews, as the widget shows them,
        with its ``summary``. Iterate the page for every review across pages."""
        params: dict[str, Any] = {"sort": sort, "rating": rating, "limit": limit}
        site = self._site(site)
        return reviews_page(self._client, _product_path(site, product, "reviews"), params, None)

    def comments(
        self,
        product: str,
        *,
        site: str | None = None,
        review: str | None = None,
        limit: int | None = None,
    ) -> CursorPage[Comment]:
        """The first page of a product's published comments, oldest first (``review=``
        for one review's thread)."""
        params = {"review": review, "limit": limit}
        path = _product_path(self._site(site), product, "comments")
        return self._page(path, "comments", Comment.from_dict, params, None)

    def questions(
        self,
        product: str,
        *,
        site: str | None = None,
        sort: QuestionSort | None = None,
        limit: int | None = None,
    ) -> CursorPage[Question]:
        """The first page of a product's published questions, each with its
        ``top_answer``, as the widget shows them (``sort``: ``"newest"`` by default)."""
        params = {"sort": sort, "limit": limit}
        path = _product_path(self._site(site), product, "questions")
        return self._page(path, "questions", Question.from_dict, params, None)

    def answers(
        self, question_id: str, *, site: str | None = None, limit: int | None = None
    ) -> CursorPage[Answer]:
        """The first page of a published question's published answers: the shop's first,
        then verified buyers', then the most helpful. A question that is not published
        is a :class:`~plaudit.NotFoundError`."""
        site = self._site(site)
        path = f"{_site_path(site)}/questions/{path_segment(question_id, 'question_id')}/answers"
        return self._page(path, "answers", Answer.from_dict, {"limit": limit}, None)

    def ideas(
        self,
        *,
        site: str | None = None,
        stage: IdeaStage | str | None = None,
        product: str | None = None,
        sort: BoardSort | None = None,
        limit: int | None = None,
    ) -> CursorPage[Idea]:
        """The first page of the site's idea board: its published ideas, most votes
        first (``sort="newest"`` for the latest), of one ``stage`` or ``product`` if
        given. Their ``sources`` may be empty here; :meth:`idea` reads them all."""
        params = {"stage": stage, "product": product, "sort": sort, "limit": limit}
        path = f"{_site_path(self._site(site))}/ideas"
        return self._page(path, "ideas", Idea.from_dict, params, None)

    def idea(self, idea_id: str, *, site: str | None = None) -> Idea:
        """One published idea with the feedback it came from; an idea that is not
        published is a :class:`~plaudit.NotFoundError`."""
        site = self._site(site)
        path = f"{_site_path(site)}/ideas/{path_segment(idea_id, 'idea_id')}"
        return Idea.from_dict((self._client.request("GET", path))["idea"])

    def _page(
        self,
        path: str,
        key: str,
        parse: Callable[[Mapping[str, Any]], T],
        params: dict[str, Any],
        cursor: str | None,
    ) -> CursorPage[T]:
        """A page of the public list at ``path``, its items under ``key``; its next page
        is read from the same ``path``."""
        data = self._client.request("GET", path, params={**params, "cursor": cursor})
        return CursorPage(
            [parse(item) for item in data[key]],
            data.get("next_cursor"),
            lambda next_cursor: self._page(path, key, parse, params, next_cursor),
        )
