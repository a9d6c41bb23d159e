"""The demo site: a small shop with a realistic spread of reviews and comments."""

from __future__ import annotations

import random
from datetime import timedelta

import sqlalchemy as sa

from .extensions import db
from .models import Moderation, Review, Site, Status
from .services import comments, moderation, reviews, sites
from .timeutil import utcnow

DEMO_SLUG = "demo"
DEMO_EMAIL = "owner@demo.plaudit.test"
DEMO_PASSWORD = "demo-password"

PRODUCTS = {
    "grinder-aurora": "Aurora burr coffee grinder",
    "kettle-pour-over": "Gooseneck pour-over kettle",
    "mug-set-stoneware": "Stoneware mug set (4)",
    "beans-ethiopia-250": "Ethiopia Guji beans, 250 g",
}

# (rating, title, body, author): a spread that looks like real shops' (J-shaped).
SAMPLES = [
    (
        5,
        "Best grinder under 200",
        "Consistent grind, quiet, and easy to clean. My pour-overs finally taste like the café's.",
        "Marta K.",
    ),
    (5, None, "Arrived in two days, works perfectly. Very happy.", "Jonas"),
    (
        4,
        "Great, one small gripe",
        "Lovely build quality. The hopper lid is a bit loose, otherwise excellent.",
        "Priya S.",
    ),
    (
        5,
        "Gift that keeps on giving",
        "Bought it for my dad, now he won't stop talking about it.",
        "Sam O'Neill",
    ),
    (3, "Fine, not amazing", "Does the job. Expected a bit more for the price.", "Alex"),
    (4, None, "Solid. Would buy again.", "Chen W."),
    (
        1,
        "Broke after a week",
        "The handle snapped off after a week of light use. Support "
        "replaced it quickly, to be fair.",
        "Dana R.",
    ),
    (5, "Perfect", "Exactly as described. <b>Five stars</b> & no regrets.", "Léa Fontaine"),
    (2, "Too loud for me", "Works, but it is louder than I expected in a small flat.", "Bo"),
    (5, "Wow", "Smells incredible, tastes of blueberries. Ordering again!", "Nour"),
]

COMMENTS = [
    "Does it fit in a standard cupboard?",
    "Mine has been going strong for a year now.",
    "Which grind setting do you use for V60?",
]


def create_demo(origins: list[str], *, reset: bool = False) -> str:
    """Create the demo site (idempotent unless ``reset``); return what to print."""
    session = db.session
    existing = session.scalar(sa.select(Site).where(Site.slug == DEMO_SLUG))
    if existing is not None and not reset:
        return (
            f"The demo site {DEMO_SLUG!r} already exists (use --reset to recreate it).\n"
            f"Admin sign-in: {DEMO_EMAIL} / {DEMO_PASSWORD}"
        )
    if existing is not None:
        session.delete(existing)
        session.flush()
    new = sites.create_site(
        session,
        DEMO_SLUG,
        name="Plaudit Demo Coffee",
        origins=origins,
        owner_email=DEMO_EMAIL,
        password=DEMO_PASSWORD,
        moderation=Moderation.POST,
    )
    site = new.site
    rng = random.Random(42)
    now = utcnow()
    made: list[Review] = []
    for index, (product, _name) in enumerate(PRODUCTS.items()):
        count = [9, 5, 3, 7][index]
        for i in range(count):
            rating, title, body, author = SAMPLES[(i * 3 + index) % len(SAMPLES)]
            review = reviews.submit_review(
                session,
                site,
                product,
                {"rating": rating, "title": title, "body": body, "author_name": author},
                visitor_hash=f"demo-{index}-{i}",
            )
            # Spread the sample over the last 80 days, so the statistics have a shape.
            review.created_at = review.updated_at = now - timedelta(
                days=rng.randint(0, 80), minutes=rng.randint(0, 1440)
            )
            review.helpful_count = rng.randint(0, 12)
            review.unhelpful_count = rng.randint(0, 2)
            made.append(review)
    # A few reviews waiting in the moderation queue.
    for i, (rating, title, body, author) in enumerate(SAMPLES[:3]):
        pending = reviews.submit_review(
            session,
            site,
            "grinder-aurora",
            {
                "rating": rating,
                "title": title,
                "body": body + " (awaiting approval)",
                "author_name": author,
            },
            visitor_hash=f"demo-pending-{i}",
        )
        moderation.set_review_status(session, site, [pending.id], Status.PENDING)
    session.flush()
    first = made[0]
    first.reply_body = "Thank you, Marta! Enjoy your pour-overs."
    first.reply_created_at = now
    question = comments.submit_comment(
        session,
        site,
        "grinder-aurora",
        {"body": COMMENTS[0], "author_name": "Kim"},
        visitor_hash="demo-c1",
    )
    comments.submit_comment(
        session,
        site,
        "grinder-aurora",
        {"body": "Yes: it is 38 cm tall, it fits under most cupboards.", "parent_id": question.id},
        visitor_hash=None,
        is_owner=True,
    )
    comments.submit_comment(
        session,
        site,
        "grinder-aurora",
        {"body": COMMENTS[1], "author_name": "Ravi", "review_id": first.id},
        visitor_hash="demo-c2",
    )
    comments.submit_comment(
        session,
        site,
        "kettle-pour-over",
        {"body": COMMENTS[2], "author_name": "Ellie"},
        visitor_hash="demo-c3",
    )
    session.commit()
    return "\n".join(
        [
            f"Demo site {DEMO_SLUG!r} created with {len(made) + 3} reviews "
            f"on {len(PRODUCTS)} products.",
            f"Secret API key: {new.secret_key}   (shown once)",
            f"Admin sign-in:  {DEMO_EMAIL} / {DEMO_PASSWORD}",
            "Start the server with `plaudit run`, then try "
            "http://127.0.0.1:5000/api/v1/sites/demo/products/grinder-aurora/reviews",
        ]
    )
