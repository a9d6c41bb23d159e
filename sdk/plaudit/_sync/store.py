# Generated from plaudit/_async/store.py by sdk/scripts/unasync.py: do not edit;
# edit that file and run the script.
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
from .._base_resource import APIResource
from .._models import Summary
from .pagination import ProductReviewsPage
from .products import ProductSort, reviews_page

__all__ = ["Store"]


class Store(APIResource):
    """Published store reviews and the shop's rating (public API).

    Like ``client.products``, each method takes ``site=`` (a site's slug); left out, it
    is the site of the client's API key.
    """

    def reviews(
        self,
        *,
        site: str | None = None,
        sort: ProductSort | None = None,
        rating: int | None = None,
        limit: int | None = None,
    ) -> ProductReviewsPage:
        """The first page of the shop's published reviews, with the shop's ``summary``;
        the same filters and page as ``client.products.reviews``.

        >>> page = client.store.reviews(limit=5)
        >>> page.summary.count, [review.product for review in page.items]
        (1, [None])
        """
        params: dict[str, Any] = {"sort": sort, "rating": rating, "limit": limit}
        site = site if site is not None else self._client._own_site_id()
        path = f"sites/{path_segment(site, 'site')}/store/reviews"
        return reviews_page(self._client, path, params, None)

    def summary(self, *, site: str | None = None) -> Summary:
        """The shop's star rating over its published store reviews.

        >>> (client.store.summary()).histogram[4]
        1
        """
        page = self.reviews(site=site, limit=1)
        return page.summary
