"""The words the admin page uses for reason codes: why an item was rejected, why a
visitor reported it, and what the audit log's actor types are.

The codes are the models' (``REJECT_REASONS``, ``REPORT_REASONS``) and the API's. The
rejections' labels are the guidelines' own (what authors read); the reports' and the
actors' live here, and a test checks that every code has one, in the models' order.
Every template gets these mappings, so a card, the reports queue and the audit log name
a reason the same way.
"""

from __future__ import annotations

from flask.blueprints import BlueprintSetupState

from .. import guidelines
from .base import bp

# The words authors and the transparency page see (guidelines.py), in the owner's English.
REJECT_REASON_LABELS = guidelines.REASON_LABELS["en"]
REPORT_REASON_LABELS = {
    "spam": "Spam",
    "offensive": "Offensive",
    "off_topic": "Off topic",
    "personal_data": "Personal data",
    "fake": "Fake",
    "illegal": "Illegal content (notice)",
    "other": "Other",
}
ACTOR_TYPE_LABELS = {
    "owner": "An owner (this page)",
    "key": "A secret API key",
    "system": "The system",
    "reviewer": "The author",
}


def reason_label(code: str | None) -> str:
    """Any reason code of an item or a report in words (an unknown one as it is)."""
    if code is None:
        return ""
    return REJECT_REASON_LABELS.get(code) or REPORT_REASON_LABELS.get(code) or code


@bp.record_once
def _template_globals(state: BlueprintSetupState) -> None:
    """Globals, not a context processor: the queue's card macros are imported without
    the page's context, and they show reasons too."""
    state.app.jinja_env.globals.update(
        reject_reasons=REJECT_REASON_LABELS,
        report_reasons=REPORT_REASON_LABELS,
        actor_types=ACTOR_TYPE_LABELS,
        reason_label=reason_label,
    )
