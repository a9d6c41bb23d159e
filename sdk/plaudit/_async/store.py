"""``client.store``: the public side of the shop's own reviews (store reviews).

A store review rates the shop itself (delivery, service) rather than one of its
products; buyers write them from an invitation's page or the widget's
``data-plaudit-reviews data-store``. They are read like a product's reviews, from the
same public endpoints the widget uses, and their ``product`` is None. The admin side
(moderating, replying) is ``client.reviews``, whose ``list(subject="store")`` lists
them.
"""

from __future__ import annotations

from typing import Any

from .._base_client import path_segment
from .._base_resource import AsyncAPIResource
from .._models import Summary
from .pagination import AsyncProductReviewsPage
from .products import ProductSort, reviews_page

__all__ = ["AsyncStore"]


class AsyncStore(AsyncAPIResource):
    """Published store reviews and the shop's rating (public API).

    Like ``client.products``, each method takes ``site=`` (a site's slug); left out, it
    is the site of the client's API key.
    """

    async def reviews(
        self,
        *,
        site: str | None = None,
        sort: ProductSort | None = None,
        rating: int | None = None,
        limit: int | None = None,
    ) -> AsyncProductReviewsPage:
        """The first page of the shop's published reviews, with the shop's ``summary``;
        the same filters and page as ``client.products.reviews``.

        >>> page = await client.store.reviews(limit=5)
        >>> page.summary.count, [review.product for review in page.items]
        (1, [None])
        """
        params: dict[str, Any] = {"sort": sort, "rating": rating, "limit": limit}
        site = site if site is not None else await self._client._own_site_id()
        path = f"sites/{path_segment(site, 'site')}/store/reviews"
        return await reviews_page(self._client, path, params, None)

    async def summary(self, *, site: str | None = None) -> Summary:
        """The shop's star rating over its published store reviews.

        >>> (await client.store.summary()).histogram[4]
        1
        """
        page = await self.reviews(site=site, limit=1)
        return page.summary
