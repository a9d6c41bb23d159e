"""The API's resources, one module each, in sync and async flavours."""

from __future__ import annotations

from .comments import AsyncComments, Comments
from .products import AsyncProducts, Products
from .reviews import AsyncReviews, Reviews
from .site import AsyncSiteResource, SiteResource

__all__ = [
    "AsyncComments",
    "AsyncProducts",
    "AsyncReviews",
    "AsyncSiteResource",
    "Comments",
    "Products",
    "Reviews",
    "SiteResource",
]
