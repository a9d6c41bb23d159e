"""The API's resources, sync and async: written once in :mod:`plaudit._async`, the sync
ones generated from it into :mod:`plaudit._sync`."""

from __future__ import annotations

from .._async.answers import AsyncAnswers
from .._async.audit import AsyncAudit
from .._async.comments import AsyncComments
from .._async.ideas import AsyncIdeas
from .._async.invitations import AsyncInvitations
from .._async.products import AsyncProducts
from .._async.questions import AsyncQuestions
from .._async.reports import AsyncReports
from .._async.reviews import AsyncReviews
from .._async.site import AsyncSiteResource
from .._async.store import AsyncStore
from .._async.webhooks import AsyncWebhooks
from .._sync.answers import Answers
from .._sync.audit import Audit
from .._sync.comments import Comments
from .._sync.ideas import Ideas
from .._sync.invitations import Invitations
from .._sync.products import Products
from .._sync.questions import Questions
from .._sync.reports import Reports
from .._sync.reviews import Reviews
from .._sync.site import SiteResource
from .._sync.store import Store
from .._sync.webhooks import Webhooks

__all__ = [
    "Answers",
    "AsyncAnswers",
    "AsyncAudit",
    "AsyncComments",
    "AsyncIdeas",
    "AsyncInvitations",
    "AsyncProducts",
    "AsyncQuestions",
    "AsyncReports",
    "AsyncReviews",
    "AsyncSiteResource",
    "AsyncStore",
    "AsyncWebhooks",
    "Audit",
    "Comments",
    "Ideas",
    "Invitations",
    "Products",
    "Questions",
    "Reports",
    "Reviews",
    "SiteResource",
    "Store",
    "Webhooks",
]
