"""The demo site: a small shop with a realistic spread of reviews and comments, questions
with answers and an idea board."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from .extensions import db
from .models import (
    IDEA_STAGES,
    STORE,
    Idea,
    Invitation,
    InvitationStatus,
    Moderation,
    Question,
    Review,
    Site,
    Status,
)
from .services import comments, community, invitations, moderation, reviews, sites, suppressions
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

STORE_SAMPLES = [
    (5, "Fast and friendly", "Ordered on Monday, brewing on Wednesday. Lovely packaging.", "Ines"),
    (4, None, "Good prices; one item was back-ordered but they told me straight away.", "Tom B."),
    (5, "Great advice", "Asked which grinder to buy and got an honest answer.", "Yuki"),
]

# (order, buyer, products, status): one invitation in every status.
INVITATIONS = [
    ("D-1001", "Marta K.", ["grinder-aurora"], InvitationStatus.SENT),
    ("D-1002", "Jonas", ["kettle-pour-over", "mug-set-stoneware"], InvitationStatus.REVIEWED),
    ("D-1003", "Priya S.", ["beans-ethiopia-250"], InvitationStatus.SCHEDULED),
    ("D-1004", "Alex", ["grinder-aurora"], InvitationStatus.CANCELLED),
    ("D-1005", "Chen W.", ["mug-set-stoneware"], InvitationStatus.UNSUBSCRIBED),
    ("D-1006", "Dana R.", ["kettle-pour-over"], InvitationStatus.FAILED),
    ("D-1007", "Bo", ["beans-ethiopia-250"], InvitationStatus.EXPIRED),
]

COMMENTS = [
    "Does it fit in a standard cupboard?",
    "Mine has been going strong for a year now.",
    "Which grind setting do you use for V60?",
]


# (product, question, asker, answers): each answer (who, author, body), who being "shop"
# (the owner's answer, shown first), "verified" (sent with the author's review request,
# by order number, so a verified buyer's) or "customer". Two products have answers from
# the shop and from a verified buyer; one question waits for its first answer.
QUESTIONS: list[tuple[str, str, str, list[tuple[str, str | None, str]]]] = [
    (
        "grinder-aurora",
        "Is it fine enough for espresso, or only for filter coffee?",
        "Kim",
        [
            ("shop", None, "It does both: settings 1-8 are for espresso, most machines like 4-6."),
            ("verified", "D-1001", "I pull two espresso shots a day at setting 5. No problem."),
            ("customer", "Ravi", "Fine enough for my moka pot too."),
        ],
    ),
    (
        "grinder-aurora",
        "How loud is it compared with a blade grinder?",
        "Ellie",
        [("customer", "Bo", "Quieter, but you still hear it through a small flat.")],
    ),
    ("grinder-aurora", "Can I buy replacement burrs separately?", "Sam O'Neill", []),
    (
        "kettle-pour-over",
        "Does it work on an induction hob?",
        "Priya S.",
        [
            ("shop", None, "Yes: the base is magnetic steel, so induction, gas and electric."),
            ("verified", "D-1002", "I use it on induction every morning, it works perfectly."),
        ],
    ),
    (
        "kettle-pour-over",
        "How long does it take to boil a litre of water?",
        "Tom B.",
        [("customer", "Chen W.", "About six minutes on my gas stove.")],
    ),
    (
        "beans-ethiopia-250",
        "Do you sell these beans ground for filter?",
        "Nour",
        [("shop", None, "Whole beans only, so they stay fresh: grind them just before brewing.")],
    ),
]
PENDING_QUESTION = ("mug-set-stoneware", "Are the mugs safe in the dishwasher?", "Alex")

# (title, body, author, product, stage, stage note, votes): one idea in every stage.
IDEAS: list[tuple[str, str, str, str | None, str, str | None, int]] = [
    (
        "A decaf version of the Ethiopia beans",
        "The same blueberry notes, for an evening cup.",
        "Nour",
        "beans-ethiopia-250",
        "open",
        None,
        4,
    ),
    (
        "A hand grinder for travelling",
        "Something small for camping trips and hotel rooms.",
        "Yuki",
        None,
        "under_review",
        "We are talking to two makers about it.",
        9,
    ),
    (
        "A monthly bean subscription",
        "Pick a roast and get a fresh bag every month.",
        "Ines",
        None,
        "planned",
        "Planned for the spring: you choose the roast and how often.",
        12,
    ),
    (
        "A set of six mugs",
        "Four is one short for our family.",
        "Léa Fontaine",
        "mug-set-stoneware",
        "shipped",
        "Shipped: the six-mug set is in the shop now.",
        7,
    ),
    (
        "Sell loose-leaf tea too",
        "Not everyone in my house drinks coffee.",
        "Alex",
        None,
        "declined",
        "We are staying a coffee shop, but thank you for asking!",
        2,
    ),
]
# The shop turns a review into an idea ("make this an idea"), and works on it.
FROM_REVIEW = (
    "hopper lid",
    "A hopper lid that fits snugly",
    "Buyers tell us the grinder's hopper lid sits a little loose.",
    "in_progress",
    "A new lid with a silicone seal is being tested.",
    6,
)
PENDING_IDEA = ("Gift wrapping at checkout", "For birthdays and holidays.", "Sam O'Neill")


def create_demo(origins: list[str], *, reset: bool = False) -> str:
    """Create the demo site (idempotent unless ``reset``); return what to print."""
    session = db.session
    existing = session.scalar(sa.select(Site).where(Site.slug == DEMO_SLUG))
    if existing is not None and not reset:
        return (
            f"The demo site {DEMO_SLUG!r} already exists (use --reset to recreate it).\n"
            f"Admin sign-in: {DEMO_EMAIL} / {DEMO_PASSWORD}\n" + review_page_line(existing)
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
    for i, (rating, title, body, author) in enumerate(STORE_SAMPLES):
        store_review = reviews.submit_review(
            session,
            site,
            STORE,
            {"rating": rating, "title": title, "body": body, "author_name": author},
            visitor_hash=f"demo-store-{i}",
        )
        store_review.created_at = store_review.updated_at = now - timedelta(days=3 * i + 1)
    _demo_invitations(site)
    _demo_questions(site)
    _demo_ideas(site, made)
    session.commit()
    return "\n".join(
        [
            f"Demo site {DEMO_SLUG!r} created with {len(made) + 3} reviews "
            f"on {len(PRODUCTS)} products, {len(STORE_SAMPLES)} reviews of the shop, "
            f"{len(INVITATIONS)} review requests, {len(QUESTIONS) + 1} questions "
            f"and {len(IDEAS) + 2} ideas (one in every stage).",
            f"Secret API key: {new.secret_key}   (shown once)",
            f"Admin sign-in:  {DEMO_EMAIL} / {DEMO_PASSWORD}",
            "Start the server with `plaudit run`, then try "
            "http://127.0.0.1:5000/api/v1/sites/demo/products/grinder-aurora/reviews",
            review_page_line(site),
        ]
    )


def _demo_invitations(site: Site) -> None:
    """One review request in every status, as the worker would have left them (no mail
    is sent: the ``sent`` one's reminder is days away)."""
    session = db.session
    now = utcnow()
    items: list[dict[str, Any]] = [
        {
            "order_id": order,
            "email": f"{name.split()[0].lower().strip('.')}@buyer.plaudit.test",
            "name": name,
            "products": products,
            "send_at": now + timedelta(days=3) if status == InvitationStatus.SCHEDULED else now,
        }
        for order, name, products, status in INVITATIONS
    ]
    suppressions.suppress(session, site.id, invitations.SUPPRESSION_KIND, items[4]["email"])
    created = invitations.create_invitations(session, site, items)
    for invitation, (_order, _name, _products, status) in zip(created, INVITATIONS, strict=True):
        assert isinstance(invitation, Invitation), invitation
        if status in {InvitationStatus.SCHEDULED, InvitationStatus.UNSUBSCRIBED}:
            continue
        invitation.status, invitation.due_at = status, None
        sent_at = now - timedelta(days=2)
        if status in {InvitationStatus.SENT, InvitationStatus.REVIEWED, InvitationStatus.EXPIRED}:
            invitation.sent_at = sent_at
        if status == InvitationStatus.SENT:
            invitation.due_at = sent_at + timedelta(days=site.invite_reminder_days)
        elif status == InvitationStatus.FAILED:
            invitation.attempts, invitation.last_error = 4, "550 mailbox unavailable"
        elif status == InvitationStatus.EXPIRED:
            invitation.expires_at = now - timedelta(days=1)
        elif status == InvitationStatus.REVIEWED:
            token = invitations.token_for(invitation.id)
            for product, rating in zip(invitation.products, (5, 4), strict=True):
                reviews.submit_review(
                    session,
                    site,
                    product,
                    {
                        "rating": rating,
                        "body": "Bought it, love it: this review came from an invitation.",
                        "author_name": invitation.name or "Buyer",
                        "invite": token,
                    },
                    visitor_hash="demo-invited",
                )
    session.flush()


def _demo_questions(site: Site) -> None:
    """Questions with answers from the shop, verified buyers and other customers, one
    still unanswered, one in the moderation queue, and a few helpful votes, all through
    the community service as the API would have left them."""
    session = db.session
    now = utcnow()
    tokens = {
        invitation.order_id: invitations.token_for(invitation.id)
        for invitation in session.scalars(
            sa.select(Invitation).where(Invitation.site_id == site.id)
        )
    }
    for n, (product, body, asker, answers) in enumerate(QUESTIONS):
        question = community.ask(
            session,
            site,
            product,
            {"body": body, "author_name": asker},
            visitor_hash=f"demo-asker-{n}",
        )
        question.created_at = question.updated_at = now - timedelta(days=20 - 3 * n)
        for k, (who, author, text) in enumerate(answers):
            if who == "shop":
                made = community.owner_answer(session, site, question.id, text)
            else:
                data: dict[str, Any] = {"body": text, "author_name": author}
                if who == "verified":
                    assert author is not None
                    # Answered from the buyer's review request: its order's buyer.
                    data["author_name"] = next(i[1] for i in INVITATIONS if i[0] == author)
                    data["invite"] = tokens[author]
                made = community.answer(
                    session, site, question.id, data, visitor_hash=f"demo-answer-{n}-{k}"
                )
            made.created_at = made.updated_at = question.created_at + timedelta(hours=5 + k)
            for v in range(2 - min(k, 2)):  # the first answers were found helpful
                community.vote_answer(session, site, made.id, f"demo-helpful-{n}-{k}-{v}", True)
    product, body, asker = PENDING_QUESTION
    pending = community.ask(
        session, site, product, {"body": body, "author_name": asker}, visitor_hash="demo-asker-q"
    )
    community.set_status(session, site, Question, [pending.id], Status.PENDING)
    session.flush()


def _demo_ideas(site: Site, made: list[Review]) -> None:
    """The idea board: an idea in every stage with votes and the shop's notes, one made
    from a review, one waiting in the moderation queue."""
    session = db.session
    ideas: list[tuple[Idea, str, str | None, int]] = []
    for n, (title, body, author, product, stage, note, votes) in enumerate(IDEAS):
        idea = community.propose(
            session,
            site,
            {"title": title, "body": body, "author_name": author, "product": product},
            visitor_hash=f"demo-idea-{n}",
        )
        ideas.append((idea, stage, note, votes))
    words, title, body, stage, note, votes = FROM_REVIEW
    review = next(r for r in made if words in r.body)
    from_review = community.create_from_feedback(
        session, site, {"title": title, "body": body, "sources": [review.id]}
    )
    ideas.append((from_review, stage, note, votes))
    for n, (idea, stage, note, votes) in enumerate(ideas):
        for v in range(votes):
            # Every third voter left an address to hear when it is planned or shipped.
            email = f"voter{v}@buyer.plaudit.test" if v % 3 == 0 else None
            community.vote_idea(session, site, idea.id, f"demo-vote-{n}-{v}", True, email=email)
        if stage != "open":
            community.set_stage(session, site, idea, stage, note)
    title, body, author = PENDING_IDEA
    pending = community.propose(
        session, site, {"title": title, "body": body, "author_name": author}, visitor_hash=None
    )
    community.set_status(session, site, Idea, [pending.id], Status.PENDING)
    assert {stage for _, stage, _, _ in ideas} == set(IDEA_STAGES)
    session.flush()


def review_page_line(site: Site) -> str:
    """Where to try the hosted review page: the ``sent`` demo invitation's link."""
    invitation = db.session.scalar(
        sa.select(Invitation).where(
            Invitation.site_id == site.id, Invitation.status == InvitationStatus.SENT
        )
    )
    if invitation is None:
        return "No open review request in the demo: `plaudit demo --reset` makes some."
    return f"A buyer's review page (hosted by Plaudit): {invitations.url_of(invitation)}"
