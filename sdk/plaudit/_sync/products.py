# Generated from plaudit/_async/products.py by sdk/scripts/unasync.py: do not edit;
# edit that file and run the script.
"""``client.products``: the public side of a site, as its widget shows it.

These are the public endpoints, which name the site in the URL. Every method takes
``site=`` (a site's slug); left out, it is the site of the client's API key, looked up
once with ``client.site.get()`` and remembered. So a shop reads its own public data
without repeating its slug, and can still read another site's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from .._base_client import path_segment
from .._base_resource import APIResource, chunked
from .._models import Comment, Review, Summary
from .pagination import CursorPage, ProductReviewsPage

if TYPE_CHECKING:
    from .client import Plaudit

__all__ = ["Products", "reviews_page"]

ProductSort = Literal["newest", "oldest", "highest", "lowest", "helpful"]
SUMMARIES_BATCH = 100


def _summaries(data: Mapping[str, Any]) -> dict[str, Summary]:
    return {product: Summary.from_dict(s) for product, s in data["summaries"].items()}


def _product_path(site: str, product: str, what: str) -> str:
    return f"sites/{path_segment(site, 'site')}/products/{path_segment(product, 'product')}/{what}"


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
    """Published reviews, ratings and comments of a site's products (public API)."""

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
        site = self._site(site)
        result: dict[str, Summary] = {}
        for batch in chunked(_unique(products), SUMMARIES_BATCH):
            data = self._client.request(
                "GET",
                f"sites/{path_segment(site, 'site')}/summaries",
                params={"products": ",".join(batch)},
            )
            result.update(_summaries(data))
        return result

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
        site = self._site(site)
        return self._comments_page(site, product, params, None)

    def _comments_page(
        self, site: str, product: str, params: dict[str, Any], cursor: str | None
    ) -> CursorPage[Comment]:
        data = self._client.request(
            "GET", _product_path(site, product, "comments"), params={**params, "cursor": cursor}
        )
        return CursorPage(
            [Comment.from_dict(item) for item in data["comments"]],
            data.get("next_cursor"),
            lambda next_cursor: self._comments_page(site, product, params, next_cursor),
        )
