"""Plaudit's Python SDK: pull and moderate a site's reviews and comments, and ask
buyers for reviews.

>>> import plaudit
>>> client = plaudit.Plaudit()  # PLAUDIT_API_KEY and PLAUDIT_BASE_URL from the environment
>>> for review in client.reviews.list(status="pending"):
...     if review.rating >= 4:
...         approved = client.reviews.approve(review.id)
>>> client.reviews.list(status="pending").items
[]
>>> client.close()
"""

from __future__ import annotations

from . import webhooks
from ._async.author import AsyncAuthorClient
from ._async.client import AsyncPlaudit
from ._base_client import NOT_GIVEN, NotGiven
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ConflictError,
    GoneError,
    NotFoundError,
    PermissionDeniedError,
    PlauditError,
    RateLimitError,
    ServerError,
    ValidationError,
    WebhookVerificationError,
)
from ._models import (
    AdminComment,
    AdminReview,
    AuditActor,
    AuditEntry,
    BatchError,
    BatchResult,
    Comment,
    CommentStatus,
    DayCount,
    Delivery,
    DeliveryStatus,
    Guidelines,
    Invitation,
    InvitationStats,
    InvitationStatus,
    ManagedItem,
    Moderation,
    ModerationDecision,
    NewInvitation,
    Problem,
    RejectReason,
    Reply,
    Report,
    ReportCounts,
    ReportDecision,
    ReportReason,
    ReportStatus,
    ResponseStats,
    Review,
    ReviewStatus,
    Site,
    Stats,
    StatusCounts,
    Summary,
    Transparency,
    Webhook,
    WebhookEvent,
    WebhookEventType,
)
from ._sync.author import AuthorClient
from ._sync.client import Plaudit
from ._version import __version__

__all__ = [
    "NOT_GIVEN",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AdminComment",
    "AdminReview",
    "AsyncAuthorClient",
    "AsyncPlaudit",
    "AuditActor",
    "AuditEntry",
    "AuthenticationError",
    "AuthorClient",
    "BatchError",
    "BatchResult",
    "Comment",
    "CommentStatus",
    "ConflictError",
    "DayCount",
    "Delivery",
    "DeliveryStatus",
    "GoneError",
    "Guidelines",
    "Invitation",
    "InvitationStats",
    "InvitationStatus",
    "ManagedItem",
    "Moderation",
    "ModerationDecision",
    "NewInvitation",
    "NotFoundError",
    "NotGiven",
    "PermissionDeniedError",
    "Plaudit",
    "PlauditError",
    "Problem",
    "RateLimitError",
    "RejectReason",
    "Reply",
    "Report",
    "ReportCounts",
    "ReportDecision",
    "ReportReason",
    "ReportStatus",
    "ResponseStats",
    "Review",
    "ReviewStatus",
    "ServerError",
    "Site",
    "Stats",
    "StatusCounts",
    "Summary",
    "Transparency",
    "ValidationError",
    "Webhook",
    "WebhookEvent",
    "WebhookEventType",
    "WebhookVerificationError",
    "__version__",
    "webhooks",
]
