"""A site's moderation guidelines: what is removed and why, in words a visitor reads.

The widget links to them (``/sites/<site>/guidelines``, ``trust_pages.py``) and the JSON
API serves them (``GET /api/v1/sites/{site}/guidelines``). A site without a text of its
own (``Site.guidelines`` null) shows the default below in its language; an owner who
writes one replaces it whole.

The default says what this server actually does, so it must change with it:

- an item is rejected only for one of ``models.REJECT_REASONS``, and its author is told
  which one (and the owner's note);
- nothing is removed, held or hidden for its rating or for being negative: no rule,
  setting or code path reads the stars to decide (16 CFR 465.7, the FTC rule on
  consumer reviews);
- reviews written for an incentive are labelled as such;
- anyone can report an item (``models.REPORT_REASONS``; a notice of illegal content,
  EU Digital Services Act art. 16, with details and an address), enough reports hold it
  until the shop decides, and a reporter who left an address hears the outcome;
- authors can edit, delete, download and appeal through their manage link.

Plain text: paragraphs separated by blank lines, never HTML (pages escape it and keep
its line breaks).
"""

from __future__ import annotations

from .models import REJECT_REASONS, Site

LOCALES = ("en", "de", "fr", "es")

# What each reason is called, for people: the transparency page, and wherever an author
# is told why their review was rejected.
REASON_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "spam": "Spam",
        "offensive": "Offensive",
        "off_topic": "Off topic",
        "personal_data": "Personal data",
        "not_genuine": "Not genuine",
        "conflict_of_interest": "Conflict of interest",
        "other": "Other",
    },
    "de": {
        "spam": "Spam",
        "offensive": "Beleidigend",
        "off_topic": "Themenfremd",
        "personal_data": "Persönliche Daten",
        "not_genuine": "Nicht echt",
        "conflict_of_interest": "Interessenkonflikt",
        "other": "Sonstiges",
    },
    "fr": {
        "spam": "Spam",
        "offensive": "Offensant",
        "off_topic": "Hors sujet",
        "personal_data": "Données personnelles",
        "not_genuine": "Pas authentique",
        "conflict_of_interest": "Conflit d'intérêts",
        "other": "Autre",
    },
    "es": {
        "spam": "Spam",
        "offensive": "Ofensivo",
        "off_topic": "Fuera de tema",
        "personal_data": "Datos personales",
        "not_genuine": "No auténtico",
        "conflict_of_interest": "Conflicto de intereses",
        "other": "Otro",
    },
}

# What each reason covers, one line each, after its label in the default text.
_REASON_MEANS: dict[str, dict[str, str]] = {
    "en": {
        "spam": "advertising, links or text unrelated to the product or the shop, or the"
        " same text posted again and again.",
        "offensive": "insults, threats, harassment, hate speech or obscene language.",
        "off_topic": "nothing to do with the product, the order or the shop (a question for"
        " customer service, for example).",
        "personal_data": "someone's address, phone number, e-mail address or other private"
        " details, your own included.",
        "not_genuine": "not based on a real experience of the product or the shop, or paid"
        " for without saying so.",
        "conflict_of_interest": "written by the shop's staff, its competitors or people"
        " close to them.",
        "other": "anything else that is unlawful, such as infringing someone's copyright;"
        " the note says what.",
    },
    "de": {
        "spam": "Werbung, Links oder Text ohne Bezug zum Produkt oder zum Shop, oder"
        " derselbe Text immer wieder.",
        "offensive": "Beleidigungen, Drohungen, Belästigung, Hassrede oder obszöne Sprache.",
        "off_topic": "nichts mit dem Produkt, der Bestellung oder dem Shop zu tun (zum"
        " Beispiel eine Frage an den Kundendienst).",
        "personal_data": "Adresse, Telefonnummer, E-Mail-Adresse oder andere private Angaben"
        " einer Person, auch Ihre eigenen.",
        "not_genuine": "nicht auf einer echten Erfahrung mit dem Produkt oder dem Shop"
        " beruhend, oder bezahlt, ohne es zu sagen.",
        "conflict_of_interest": "geschrieben von Mitarbeitenden des Shops, seinen"
        " Mitbewerbern oder ihnen nahestehenden Personen.",
        "other": "alles andere, was rechtswidrig ist, etwa eine Verletzung von"
        " Urheberrechten; die Notiz sagt, was.",
    },
    "fr": {
        "spam": "publicité, liens ou texte sans rapport avec le produit ou la boutique, ou"
        " le même texte publié encore et encore.",
        "offensive": "insultes, menaces, harcèlement, discours haineux ou propos obscènes.",
        "off_topic": "sans rapport avec le produit, la commande ou la boutique (une question"
        " pour le service client, par exemple).",
        "personal_data": "l'adresse, le numéro de téléphone, l'adresse e-mail ou d'autres"
        " informations privées de quelqu'un, y compris les vôtres.",
        "not_genuine": "ne repose pas sur une expérience réelle du produit ou de la"
        " boutique, ou rémunéré sans le dire.",
        "conflict_of_interest": "écrit par le personnel de la boutique, ses concurrents ou"
        " leurs proches.",
        "other": "tout autre contenu illicite, comme une atteinte au droit d'auteur ; la"
        " note précise lequel.",
    },
    "es": {
        "spam": "publicidad, enlaces o texto sin relación con el producto o la tienda, o el"
        " mismo texto publicado una y otra vez.",
        "offensive": "insultos, amenazas, acoso, discurso de odio o lenguaje obsceno.",
        "off_topic": "nada que ver con el producto, el pedido o la tienda (por ejemplo, una"
        " pregunta para atención al cliente).",
        "personal_data": "la dirección, el teléfono, el correo electrónico u otros datos"
        " privados de alguien, incluidos los tuyos.",
        "not_genuine": "no se basa en una experiencia real con el producto o la tienda, o"
        " se pagó sin decirlo.",
        "conflict_of_interest": "escrito por personal de la tienda, sus competidores o"
        " personas cercanas a ellos.",
        "other": "cualquier otro contenido ilícito, como infringir derechos de autor; la"
        " nota dice cuál.",
    },
}

# The default text around the list of reasons ({reasons}).
_DEFAULT: dict[str, str] = {
    "en": """\
These rules apply to every review and comment published here. They are the same for \
everyone, whatever the rating and whatever the opinion.

Never removed for being negative
We never remove, hide or hold back a review because of its star rating or because it \
is critical. A one-star review and a five-star review go through exactly the same \
checks. (In the United States this is also the law: the FTC rule on consumer reviews, \
16 CFR 465.7.)

What we remove, and why
A review or a comment is rejected only for one of these reasons, and its author is \
told which one:
{reasons}

Checks before publishing
Some contributions are checked before they appear, for example when the spam filter \
is unsure. A check looks for the reasons above, never at the rating.

Incentives are labelled
When a reviewer received something for writing a review (a discount, a gift, a free \
product), the review is labelled "Received an incentive". An incentive never depends \
on the rating.

Reporting a contribution
Anyone can report a review or a comment with the "Report" link next to it: choose a \
reason and, if you like, explain. To notify us of illegal content, describe it and \
give your e-mail address. When several people report the same contribution, it is \
held back until we have looked at it. We decide on every report, and if you left an \
address we tell you the outcome and why.

Your own contribution
After you send a review or a comment you get a link to manage it (by e-mail too, if \
you gave an address). With it you can see its status, and why it was rejected if it \
was; edit it (it is checked again); delete it for good; download everything stored \
about it; and appeal a rejection once, with a message that we read.

Transparency
We publish how many contributions we received, published and rejected (by reason), \
how many reports we received and what came of them, and how often and how fast the \
shop answers reviews.""",
    "de": """\
Diese Regeln gelten für jede Bewertung und jeden Kommentar, die hier erscheinen. Sie \
gelten für alle gleich, unabhängig von der Bewertung und der Meinung.

Nie entfernt, weil sie negativ ist
Wir entfernen, verbergen oder halten keine Bewertung zurück, weil sie wenige Sterne \
hat oder kritisch ist. Eine Bewertung mit einem Stern und eine mit fünf Sternen \
durchlaufen genau dieselben Prüfungen. (In den USA schreibt das auch das Gesetz vor: \
die FTC-Regel zu Verbraucherbewertungen, 16 CFR 465.7.)

Was wir entfernen und warum
Eine Bewertung oder ein Kommentar wird nur aus einem dieser Gründe abgelehnt, und die \
Person, die sie geschrieben hat, erfährt, aus welchem:
{reasons}

Prüfung vor der Veröffentlichung
Manche Beiträge werden geprüft, bevor sie erscheinen, zum Beispiel wenn der Spamfilter \
unsicher ist. Geprüft wird auf die Gründe oben, nie die Bewertung.

Gegenleistungen werden gekennzeichnet
Hat jemand für eine Bewertung etwas erhalten (einen Rabatt, ein Geschenk, ein \
kostenloses Produkt), wird die Bewertung mit „Hat eine Gegenleistung erhalten“ \
gekennzeichnet. Eine Gegenleistung hängt nie von der Bewertung ab.

Einen Beitrag melden
Jede Person kann eine Bewertung oder einen Kommentar über den Link „Melden“ daneben \
melden: einen Grund wählen und, wenn gewünscht, erklären. Um uns rechtswidrige Inhalte \
zu melden, beschreiben Sie sie und geben Sie Ihre E-Mail-Adresse an. Melden mehrere \
Personen denselben Beitrag, wird er zurückgehalten, bis wir ihn angesehen haben. Wir \
entscheiden über jede Meldung und teilen Ihnen das Ergebnis und den Grund mit, wenn \
Sie eine Adresse angegeben haben.

Ihr eigener Beitrag
Nach dem Senden einer Bewertung oder eines Kommentars erhalten Sie einen Link, um ihn \
zu verwalten (auch per E-Mail, wenn Sie eine Adresse angegeben haben). Damit sehen Sie \
seinen Status und, falls er abgelehnt wurde, warum; Sie können ihn bearbeiten (er wird \
erneut geprüft), endgültig löschen, alles über ihn Gespeicherte herunterladen und \
einmal gegen eine Ablehnung Einspruch einlegen, mit einer Nachricht, die wir lesen.

Transparenz
Wir veröffentlichen, wie viele Beiträge wir erhalten, veröffentlicht und abgelehnt \
haben (nach Grund), wie viele Meldungen wir erhalten haben und was daraus wurde, und \
wie oft und wie schnell der Shop auf Bewertungen antwortet.""",
    "fr": """\
Ces règles s'appliquent à chaque avis et à chaque commentaire publié ici. Elles sont \
les mêmes pour tous, quelle que soit la note et quelle que soit l'opinion.

Jamais retiré parce qu'il est négatif
Nous ne retirons, ne masquons et ne retenons jamais un avis en raison de sa note ou \
parce qu'il est critique. Un avis à une étoile et un avis à cinq étoiles passent \
exactement par les mêmes contrôles. (Aux États-Unis, c'est aussi la loi : la règle de \
la FTC sur les avis de consommateurs, 16 CFR 465.7.)

Ce que nous retirons, et pourquoi
Un avis ou un commentaire n'est refusé que pour l'une de ces raisons, et son auteur \
apprend laquelle :
{reasons}

Contrôles avant publication
Certaines contributions sont vérifiées avant de paraître, par exemple quand le filtre \
anti-spam a un doute. La vérification porte sur les raisons ci-dessus, jamais sur la \
note.

Les contreparties sont signalées
Quand l'auteur d'un avis a reçu quelque chose pour l'écrire (une remise, un cadeau, un \
produit gratuit), l'avis porte la mention « A reçu une contrepartie ». Une contrepartie \
ne dépend jamais de la note.

Signaler une contribution
Chacun peut signaler un avis ou un commentaire avec le lien « Signaler » à côté : \
choisissez une raison et, si vous le souhaitez, expliquez. Pour nous notifier un \
contenu illicite, décrivez-le et indiquez votre adresse e-mail. Quand plusieurs \
personnes signalent la même contribution, elle est retenue jusqu'à ce que nous \
l'ayons examinée. Nous statuons sur chaque signalement et, si vous avez laissé une \
adresse, nous vous disons la décision et pourquoi.

Votre propre contribution
Après l'envoi d'un avis ou d'un commentaire, vous recevez un lien pour le gérer (aussi \
par e-mail si vous avez donné une adresse). Il vous permet de voir son statut, et \
pourquoi il a été refusé le cas échéant ; de le modifier (il est vérifié à nouveau) ; \
de le supprimer définitivement ; de télécharger tout ce qui est enregistré à son \
sujet ; et de contester un refus une fois, avec un message que nous lisons.

Transparence
Nous publions combien de contributions nous avons reçues, publiées et refusées (par \
raison), combien de signalements nous avons reçus et leur issue, et à quelle \
fréquence et à quelle vitesse la boutique répond aux avis.""",
    "es": """\
Estas normas se aplican a todas las opiniones y comentarios publicados aquí. Son las \
mismas para todos, sea cual sea la valoración y sea cual sea la opinión.

Nunca se retira por ser negativa
Nunca retiramos, ocultamos ni retenemos una opinión por su número de estrellas ni por \
ser crítica. Una opinión de una estrella y una de cinco pasan exactamente por las \
mismas comprobaciones. (En Estados Unidos también lo exige la ley: la norma de la FTC \
sobre opiniones de consumidores, 16 CFR 465.7.)

Qué retiramos y por qué
Una opinión o un comentario solo se rechaza por uno de estos motivos, y su autor sabe \
cuál:
{reasons}

Revisión antes de publicar
Algunas contribuciones se revisan antes de aparecer, por ejemplo cuando el filtro de \
spam tiene dudas. La revisión busca los motivos de arriba, nunca mira la valoración.

Los incentivos se indican
Cuando alguien recibió algo por escribir una opinión (un descuento, un regalo, un \
producto gratis), la opinión lleva la indicación «Recibió un incentivo». Un incentivo \
nunca depende de la valoración.

Denunciar una contribución
Cualquiera puede denunciar una opinión o un comentario con el enlace «Denunciar» que \
tiene al lado: elige un motivo y, si quieres, explícalo. Para notificarnos contenido \
ilícito, descríbelo y danos tu dirección de correo. Cuando varias personas denuncian \
la misma contribución, queda retenida hasta que la hayamos revisado. Decidimos sobre \
cada denuncia y, si dejaste una dirección, te contamos el resultado y el motivo.

Tu propia contribución
Después de enviar una opinión o un comentario recibes un enlace para gestionarlo \
(también por correo si diste una dirección). Con él puedes ver su estado, y por qué se \
rechazó si fue así; editarlo (se revisa de nuevo); borrarlo para siempre; descargar \
todo lo que se guarda sobre él; y recurrir un rechazo una vez, con un mensaje que \
leemos.

Transparencia
Publicamos cuántas contribuciones recibimos, publicamos y rechazamos (por motivo), \
cuántas denuncias recibimos y qué resultó de ellas, y con qué frecuencia y rapidez \
responde la tienda a las opiniones.""",
}


def _locale(locale: str | None) -> str:
    return locale if locale in LOCALES else "en"


def reason_label(reason: str, locale: str | None = "en") -> str:
    """What ``reason`` (one of ``REJECT_REASONS``) is called in ``locale``; an unknown
    code is shown as it is."""
    return REASON_LABELS[_locale(locale)].get(reason, reason)


def default_text(locale: str | None) -> str:
    """The default guidelines in ``locale`` (en, de, fr, es; anything else: English)."""
    lang = _locale(locale)
    colon = " : " if lang == "fr" else ": "  # French sets a space before a colon
    reasons = "\n".join(
        f"- {REASON_LABELS[lang][reason]}{colon}{_REASON_MEANS[lang][reason]}"
        for reason in REJECT_REASONS
    )
    return _DEFAULT[lang].format(reasons=reasons)


def text_for(site: Site, locale: str | None = None) -> tuple[str, bool]:
    """The site's guidelines and whether they are its own (True) or the default (False),
    which is in ``locale`` when given (a visitor's), else in the site's language."""
    own = (site.guidelines or "").strip()
    if own:
        return own, True
    return default_text(locale if locale in LOCALES else site.locale), False


def paragraphs(text: str) -> list[str]:
    """``text`` split into paragraphs on blank lines (lines of only spaces count as
    blank), each with its own line breaks kept and its ends trimmed."""
    found: list[str] = []
    current: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.strip():
            current.append(line.rstrip())
        elif current:
            found.append("\n".join(current).strip())
            current = []
    if current:
        found.append("\n".join(current).strip())
    return found
