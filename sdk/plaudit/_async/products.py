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
from .._base_resource import AsyncAPIResource, chunked
from .._models import Comment, Review, Summary
from .pagination import AsyncCursorPage, AsyncProductReviewsPage

if TYPE_CHECKING:
    from .client import AsyncPlaudit

__all__ = ["AsyncProducts", "reviews_page"]

ProductSort = Literal["newest", "oldest", "highest", "lowest", "helpful"]
SUMMARIES_BATCH = 100


def _summaries(data: Mapping[str, Any]) -> dict[str, Summary]:
    return {product: Summary.from_dict(s) for product, s in data["summaries"].items()}


def _product_path(site: str, product: str, what: str) -> str:
    return f"sites/{path_segment(site, 'site')}/products/{path_segment(product, 'product')}/{what}"


async def reviews_page(
    client: AsyncPlaudit, path: str, params: dict[str, Any], cursor: str | None
) -> AsyncProductReviewsPage:
    """A page of published reviews with their subject's summary: a product's, or the
    shop's own (``client.store``); its next page is read from the same ``path``."""
    data = await client.request("GET", path, params={**params, "cursor": cursor})
    return AsyncProductReviewsPage(
        [Review.from_dict(item) for item in data["reviews"]],
        data.get("next_cursor"),
        lambda next_cursor: reviews_page(client, path, params, next_cursor),
        summary=Summary.from_dict(data["summary"]),
    )


def _unique(products: Iterable[str]) -> list[str]:
    if isinstance(products, str):
        raise TypeError("products must be a list of product ids, not one string.")
    return list(dict.fromkeys(products))


class AsyncProducts(AsyncAPIResource):
    """Published reviews, ratings and comments of a site's products (public API)."""

    async def _site(self, site: str | None) -> str:
        return site if site is not None else await self._client._own_site_id()

    async def summary(self, product: str, *, site: str | None = None) -> Summary:
        """The star rating of one product: count, average and histogram."""
        summaries = await self.summaries([product], site=site)
        return summaries[product]

    async def summaries(
        self, products: Iterable[str], *, site: str | None = None
    ) -> dict[str, Summary]:
        """Ratings of many products at once (as for star badges on a listing page).

        Any number of products: they are asked for 100 at a time. Products without
        reviews have a count of 0.
        """
        site = await self._site(site)
        result: dict[str, Summary] = {}
        for batch in chunked(_unique(products), SUMMARIES_BATCH):
            data = await self._client.request(
                "GET",
                f"sites/{path_segment(site, 'site')}/summaries",
                params={"products": ",".join(batch)},
            )
            result.update(_summaries(data))
        return result

    async def reviews(
        self,
        product: str,
        *,
        site: str | None = None,
        sort: ProductSort | None = None,
        rating: int | None = None,
        limit: int | None = None,
    ) -> AsyncProductReviewsPage:
        """The first page of a product's published reviews, as the widget shows them,
        with its ``summary``. Iterate the page for every review across pages."""
        params: dict[str, Any] = {"sort": sort, "rating": rating, "limit": limit}
        site = await self._site(site)
        return await reviews_page(
            self._client, _product_path(site, product, "reviews"), params, None
        )

    async def comments(
        self,
        product: str,
        *,
        site: str | None = None,
        review: str | None = None,
        limit: int | None = None,
    ) -> AsyncCursorPage[Comment]:
        """The first page of a product's published comments, oldest first (``review=``
        for one review's thread)."""
        params = {"review": review, "limit": limit}
        site = await self._site(site)
        return await self._comments_page(site, product, params, None)

    async def _comments_page(
        self, site: str, product: str, params: dict[str, Any], cursor: str | None
    ) -> AsyncCursorPage[Comment]:
        data = await self._client.request(
            "GET", _product_path(site, product, "comments"), params={**params, "cursor": cursor}
        )
        return AsyncCursorPage(
            [Comment.from_dict(item) for item in data["comments"]],
            data.get("next_cursor"),
            lambda next_cursor: self._comments_page(site, product, params, next_cursor),
        )
