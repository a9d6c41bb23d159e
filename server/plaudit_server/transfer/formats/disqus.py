"""Disqus: the XML export (Admin > Moderation > Export), one comment per ``<post>``.

The export's root is ``<disqus xmlns="http://disqus.com">``; its children are the
``<category>`` list, then every ``<thread dsq:id=...>`` (a page: ``<link>``, ``<title>``,
``<createdAt>``, ``<isDeleted>``), then every ``<post dsq:id=...>`` (``<message>``, HTML
in CDATA; ``<createdAt>``; ``<isDeleted>``; ``<isSpam>``; ``<author>`` with ``<name>``,
``<email>``, ``<username>``, ``<isAnonymous>``; ``<thread dsq:id=.../>``; and, for a
reply, ``<parent dsq:id=.../>``). ``dsq`` is ``http://disqus.com/disqus-internals``.

Exports of big sites run to gigabytes, so the file is parsed as a stream (defusedxml's
``iterparse``, each top-level element dropped once read): what stays in memory is one
post and a small map from thread id to product id. defusedxml refuses entity
declarations (the "billion laughs" expansion) and external entities (which read other
files or URLs); either makes the whole file an :class:`ImportFileError`.

A thread's product id comes from its link: by default the link's last path segment
(``https://shop.example/products/grinder-aurora`` -> ``grinder-aurora``), or the first
group of ``Options.thread_pattern``. Messages are HTML; they are stored as plain text
(links as their text followed by the URL, ``<script>`` and ``<style>`` dropped with
their content; what a person typed as ``&lt;script&gt;`` stays the text they typed).
Each record's ``line`` is the line of the post's start tag, as expat reports it.

Disqus mails the export gzipped (``...-all.xml.gz``): a gzipped file is read as it is,
decompressed as it streams.
"""

from __future__ import annotations

import gzip
import io
import re
import unicodedata
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

import marshmallow as ma
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser, iterparse

from ...fields import PRODUCT_RE, EmailAddress, is_blank
from ...models import Status
from ..records import CommentRecord, ImportFileError, Note, Options, Record, Refused

DSQ = "{http://disqus.com/disqus-internals}"
# Attributes this reader adds to the top-level elements while parsing (a namespace no
# export uses): the start tag's line, and whether the element's text was cut.
_LINE = "{urn:plaudit:disqus-reader}line"
_OVERSIZED = "{urn:plaudit:disqus-reader}oversized"

BODY_MAX = 5000
NAME_MAX = 80
# The text one top-level element may hold before the rest is dropped (and the post
# refused): a message's HTML may be longer than its text, but never by this much; it
# keeps a hostile file (a gigabyte in one CDATA) from filling the memory.
ELEMENT_TEXT_MAX = 1_000_000
# Refused posts remembered so that their replies can go one level up (a few dozen bytes
# each); past that, a reply to a refused post is refused by the loader.
REFUSED_KEPT = 100_000
# How much of a link goes into a reason (a reason is printed for every refused post).
LINK_SHOWN_MAX = 200

# Control characters the API refuses in text (see fields.Text) and PostgreSQL cannot
# store (NUL): an imported text loses them instead of its whole comment.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# The invisible format characters a name may keep (joiners, as fields.Name allows).
_NAME_FORMAT_ALLOWED = frozenset("\u200c\u200d")
# Disqus wraps outgoing links as https://disq.us/url?url=<target>:<27-char hash>&cuid=..
_DISQUS_LINK_HASH = re.compile(r":[A-Za-z0-9_-]{27}$")
_EMAIL = EmailAddress()


def compile_thread_pattern(pattern: str | None) -> re.Pattern[str] | None:
    """The ``--thread-pattern`` option compiled, or :class:`ImportFileError` saying what
    is wrong with it (before anything is read, so a typo imports nothing)."""
    if pattern is None:
        return None
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        raise ImportFileError(
            f"--thread-pattern {pattern!r} is not a regular expression: {error}"
        ) from None
    if compiled.groups < 1:
        raise ImportFileError(
            f"--thread-pattern {pattern!r} needs a group, in parentheses, around the "
            "product id (e.g. '/products/([^/?#]+)')"
        )
    return compiled


def read(path: Path, options: Options) -> Iterator[Record]:
    """Yield a :class:`CommentRecord` for each post, in file order, a :class:`Refused`
    for each post that cannot be one, and :class:`Note` s at the end."""
    pattern = compile_thread_pattern(options.thread_pattern)
    reader = _Reader(pattern)
    try:
        with _open(path) as file:
            builder = _LineTreeBuilder()
            parser = DefusedXMLParser(target=builder)
            builder.expat = parser.parser
            for _event, element in iterparse(file, ("end",), parser=parser):
                line = element.get(_LINE)
                if line is None or element is builder.root:
                    continue  # inside a top-level element (or the root): read with it
                record = reader.element(element, int(line))
                if record is not None:
                    yield record
                # Done with it: the root lets go of every finished child (the one
                # being parsed, if any, stays with the tree builder until its end).
                element.clear()
                if builder.root is not None:
                    builder.root.clear()
    except OSError as error:  # gzip.BadGzipFile too
        raise ImportFileError(f"cannot read the file: {error.strerror or error}") from None
    except EOFError:
        raise ImportFileError("the gzipped file ends early (an incomplete download?)") from None
    except zlib.error as error:
        raise ImportFileError(f"the gzipped file is damaged ({error})") from None
    except (EntitiesForbidden, DTDForbidden) as error:
        raise ImportFileError(
            f"the file declares XML entities ({_entity(error)}): refused, as entities can "
            "expand to gigabytes ('billion laughs') or read other files. A Disqus export "
            "declares none"
        ) from None
    except ExternalReferenceForbidden as error:
        raise ImportFileError(
            f"the file refers to an external resource ({error.sysid or error.pubid}): "
            "refused, as reading it could reveal other files. A Disqus export has none"
        ) from None
    except ParseError as error:
        line, column = error.position
        raise ImportFileError(
            f"not well-formed XML at line {line}, column {column + 1}: {str(error).split(':')[0]}"
        ) from None
    yield from reader.notes()


def total(path: Path) -> int | None:
    """How many records :func:`read` will yield besides notes (one per ``<post>``), for
    a progress bar's total: start tags counted in the raw bytes, a quick pass that does
    not parse (a ``<post`` inside a message's CDATA would count too). None if the file
    cannot be read (``read`` then says why)."""
    count = 0
    tail = b""
    try:
        with _open(path) as file:
            while chunk := file.read(1 << 20):
                data = tail + chunk
                count += len(_POST_TAG.findall(data))
                # A tag across the boundary is found with the next chunk; five bytes
                # cannot hold a whole match, so none is counted twice.
                tail = data[-5:]
    except (OSError, EOFError, zlib.error):
        return None
    return count


_POST_TAG = re.compile(rb"<post[\s>/]")
_GZIP_MAGIC = b"\x1f\x8b"


@contextmanager
def _open(path: Path) -> Iterator[io.BufferedIOBase]:
    """The file's bytes, decompressed if it is gzipped (told by its first bytes)."""
    with path.open("rb") as raw:
        gzipped = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        if not gzipped:
            yield raw
            return
        with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
            yield unzipped


def _entity(error: EntitiesForbidden | DTDForbidden) -> str:
    if isinstance(error, EntitiesForbidden):
        source = f" SYSTEM {error.sysid!r}" if error.sysid else ""
        return f"<!ENTITY {error.name}{source}>"
    return f"<!DOCTYPE {error.name}>"


class _LineTreeBuilder(TreeBuilder):
    """Builds the tree as the standard builder does, and marks each child of the root
    with its start tag's line (expat's position while it reports the tag); stops
    keeping text past ``ELEMENT_TEXT_MAX`` characters per top-level element."""

    def __init__(self) -> None:
        super().__init__()
        self.expat: Any = None
        self.root: Element | None = None
        self._open: Element | None = None  # the top-level element being built
        self._depth = 0
        self._budget = ELEMENT_TEXT_MAX

    def start(self, tag: str, attrs: dict[str, str], /) -> Element:
        element = super().start(tag, attrs)
        if attrs:  # the marks are this reader's to set, never the file's
            element.attrib.pop(_LINE, None)
            element.attrib.pop(_OVERSIZED, None)
        self._depth += 1
        if self._depth == 1:
            if tag.rpartition("}")[2] != "disqus":
                name = tag.rpartition("}")[2]
                raise ImportFileError(
                    f"not a Disqus export: the file's root element is <{name}>, not "
                    "<disqus> (Disqus's import format, WXR, is not read here)"
                )
            self.root = element
        elif self._depth == 2:
            element.set(_LINE, str(self.expat.CurrentLineNumber))
            self._open = element
            self._budget = ELEMENT_TEXT_MAX
        return element

    def end(self, tag: str, /) -> Element:
        self._depth -= 1
        if self._depth <= 1:
            self._open = None
            self._budget = ELEMENT_TEXT_MAX  # the white space between elements
        return super().end(tag)

    def data(self, data: str, /) -> None:
        if len(data) > self._budget:
            self._budget = 0
            if self._open is not None:
                self._open.set(_OVERSIZED, "1")
            return
        self._budget -= len(data)
        super().data(data)


@dataclass
class _Thread:
    product: str | None
    refusal: str | None  # why its posts cannot be imported
    deleted: bool


class _Reader:
    """What is kept between elements: the threads read so far, and the counts the
    notes report."""

    def __init__(self, pattern: re.Pattern[str] | None) -> None:
        self.pattern = pattern
        self.threads: dict[str, _Thread] = {}
        self.by_identifier: dict[str, str] = {}  # a thread's <id> -> its dsq:id
        self.names_shortened = 0
        self.emails_dropped = 0
        self.deleted_thread_posts = 0
        # Refused posts' parents (already resolved), for their replies; bounded.
        self.refused: dict[str, str | None] = {}
        self.reparented = 0

    def element(self, element: Element, line: int) -> Record | None:
        name = _local(element.tag)
        if name == "thread":
            self.thread(element)
            return None
        if name == "post":
            return self.post(element, line)
        return None  # <category> and anything newer: nothing to import

    def thread(self, element: Element) -> None:
        dsq_id = element.get(f"{DSQ}id")
        children = _children(element)
        identifier = _text(children.get("id"))
        if not dsq_id:
            if not identifier:
                return  # nothing can refer to it
            dsq_id = f"id:{identifier}"
        if identifier:
            self.by_identifier[identifier] = dsq_id
        product: str | None = None
        refusal: str | None
        if element.get(_OVERSIZED):
            refusal = f"thread {dsq_id} holds more than {ELEMENT_TEXT_MAX} characters"
        else:
            product, refusal = self.product(dsq_id, _text(children.get("link")))
        deleted = _true(children.get("isDeleted"))
        self.threads[dsq_id] = _Thread(product, refusal, deleted)

    def product(self, dsq_id: str, link: str) -> tuple[str | None, str | None]:
        if not link:
            return None, f"thread {dsq_id} has no link to take a product id from"
        shown = link if len(link) <= LINK_SHOWN_MAX else link[:LINK_SHOWN_MAX] + "..."
        if self.pattern is not None:
            match = self.pattern.search(link)
            if match is None:
                return None, f"thread link {shown} does not match --thread-pattern"
            candidate = match.group(1) or ""
        else:
            try:
                segments = [part for part in urlsplit(link).path.split("/") if part]
            except ValueError:
                segments = []
            if not segments:
                return None, f"thread link {shown} has no path to take a product id from"
            candidate = segments[-1]
        if not PRODUCT_RE.fullmatch(candidate):
            return None, (
                f"thread link {shown} gives product id {candidate[:LINK_SHOWN_MAX]!r}, "
                "not 1-128 characters of A-Z a-z 0-9 . _ : -"
            )
        return candidate, None

    def post(self, element: Element, line: int) -> Record:
        """The post's record. A reply to a post that was refused answers what that post
        answered (the conversation stays, one level up) instead of being refused in
        turn by the loader for a parent it cannot find."""
        children = _children(element)
        parent = children.get("parent")
        parent_id = (
            (parent.get(f"{DSQ}id") or _text(parent) or None) if parent is not None else None
        )
        above_refused = parent_id is not None and parent_id in self.refused
        if above_refused:
            parent_id = self.refused[str(parent_id)]
        record = self._post(element, children, line, parent_id)
        if isinstance(record, Refused):
            if record.source_id is not None and len(self.refused) < REFUSED_KEPT:
                self.refused[record.source_id] = parent_id
        elif above_refused:
            self.reparented += 1
        return record

    def _post(
        self, element: Element, children: dict[str, Element], line: int, parent_id: str | None
    ) -> Record:
        source_id = element.get(f"{DSQ}id") or _text(children.get("id")) or None
        if source_id is None:
            return Refused(line, "post has no dsq:id")

        thread_ref = children.get("thread")
        thread = None
        if thread_ref is not None:
            ref = thread_ref.get(f"{DSQ}id") or ""
            if not ref and (identifier := _text(thread_ref)):
                ref = self.by_identifier.get(identifier, f"id:{identifier}")
            thread = self.threads.get(ref)
            if thread is None:
                shown = ref.removeprefix("id:") or "(none)"
                return Refused(line, f"thread {shown} is not in the file", source_id)
        else:
            return Refused(line, "post names no thread", source_id)
        if thread.refusal is not None or thread.product is None:
            return Refused(line, thread.refusal or "thread has no product id", source_id)

        if element.get(_OVERSIZED):
            return Refused(line, f"message is longer than {ELEMENT_TEXT_MAX} characters", source_id)
        body = _clean(html_to_text(_text(children.get("message"), strip=False)))
        if is_blank(body):
            return Refused(line, "no message", source_id)
        if len(body) > BODY_MAX:
            return Refused(line, f"message is {len(body)} characters, over {BODY_MAX}", source_id)

        created = _text(children.get("createdAt"))
        created_at = _date(created)
        if created_at is None:
            reason = f"createdAt {created[:40]!r} is not a date" if created else "no createdAt"
            return Refused(line, reason, source_id)

        if _true(children.get("isSpam")):
            status = Status.SPAM
        elif _true(children.get("isDeleted")):
            status = Status.REJECTED
        elif thread.deleted:
            status = Status.REJECTED
            self.deleted_thread_posts += 1
        else:
            status = Status.PUBLISHED

        author = _children(children["author"]) if "author" in children else {}
        return CommentRecord(
            source_id=source_id,
            product=thread.product,
            body=body,
            author_name=self.name(author),
            author_email=self.email(_text(author.get("email"))),
            created_at=created_at,
            line=line,
            parent_source_id=parent_id,
            status=status,
        )

    def name(self, author: dict[str, Element]) -> str:
        """The name shown with the comment: the author's name, else (unless the post
        was anonymous) the Disqus username, else "Anonymous"; at most 80 characters."""
        name = _clean_name(_text(author.get("name")))
        if not name and not _true(author.get("isAnonymous")):
            name = _clean_name(_text(author.get("username")))
        if not name:
            return "Anonymous"
        if len(name) > NAME_MAX:
            self.names_shortened += 1
            name = name[: NAME_MAX - 1].rstrip() + "\u2026"
        return name

    def email(self, value: str) -> str | None:
        if not value:
            return None
        try:
            address: str = _EMAIL.deserialize(value)
        except ma.ValidationError:
            self.emails_dropped += 1
            return None
        return address

    def notes(self) -> Iterator[Note]:
        if self.deleted_thread_posts:
            yield Note(
                f"comments on deleted Disqus threads are kept as rejected "
                f"({self.deleted_thread_posts})"
            )
        if self.reparented:
            yield Note(
                "replies to refused posts answer the post those answered, or start a "
                f"thread ({self.reparented})"
            )
        if self.names_shortened:
            yield Note(
                f"author names longer than {NAME_MAX} characters were shortened "
                f"({self.names_shortened})"
            )
        if self.emails_dropped:
            yield Note(f"e-mail addresses that are not valid were left out ({self.emails_dropped})")


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _children(element: Element) -> dict[str, Element]:
    """An element's children by local name (the first of each name)."""
    found: dict[str, Element] = {}
    for child in element:
        found.setdefault(_local(child.tag), child)
    return found


def _text(element: Element | None, *, strip: bool = True) -> str:
    if element is None or element.text is None:
        return ""
    return element.text.strip() if strip else element.text


def _true(element: Element | None) -> bool:
    return _text(element).lower() in ("true", "1")


def _date(value: str) -> datetime | None:
    """A Disqus timestamp (``2021-03-04T18:36:47Z``) as an aware UTC datetime; one
    without a zone is taken as UTC, as Disqus writes them."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _clean(text: str) -> str:
    return unicodedata.normalize("NFC", _CONTROL.sub("", text)).strip()


def _clean_name(text: str) -> str:
    """A name as fields.Name would take it, cleaned instead of refused: no control
    characters, no invisible formatting characters but joiners, one line."""
    text = " ".join(_clean(text).split())
    kept = "".join(
        char for char in text if unicodedata.category(char) != "Cf" or char in _NAME_FORMAT_ALLOWED
    )
    return "" if is_blank(kept) else unicodedata.normalize("NFC", kept).strip()


# ------------------------------------------------------------------ HTML to text

# Elements that start a line of their own (``li`` a "- " item, the others a paragraph).
_BLOCKS = frozenset(
    {"p", "div", "blockquote", "pre", "ul", "ol", "li", "table", "tr", "hr", "section"}
    | {"article", "h1", "h2", "h3", "h4", "h5", "h6"}
)
_DROPPED = frozenset(("script", "style", "template", "head", "title", "noscript"))
_WHITE_SPACE = re.compile(r"[ \t\r\n\f]+")


def html_to_text(html: str) -> str:
    """A Disqus message as plain text: paragraphs and line breaks kept as newlines,
    each link as its text followed by its URL in parentheses (just the URL when the
    text is the URL, as Disqus shows long links shortened), every tag removed."""
    converter = _PlainText()
    converter.feed(html)
    converter.close()
    return converter.text()


class _PlainText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[tuple[str | None, int]] = []  # (href, where its text starts)
        self.dropping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:
            self.dropping += 1
        elif self.dropping:
            return
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n- " if tag == "li" else "\n\n")
        elif tag == "a":
            self.links.append((dict(attrs).get("href"), len(self.parts)))
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(f" {alt} ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _DROPPED:  # <script/> drops nothing after it
            self.handle_starttag(tag, attrs)
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self.dropping = max(0, self.dropping - 1)
        elif self.dropping:
            return
        elif tag in _BLOCKS and tag != "li":  # the next item's "- " starts its line
            self.parts.append("\n\n")
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            text = "".join(self.parts[start:])
            self.parts[start:] = [_link(text, href)]

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            self.parts.append(_WHITE_SPACE.sub(" ", data))

    def text(self) -> str:
        while self.links:  # an <a> never closed
            self.handle_endtag("a")
        lines = (line.strip() for line in "".join(self.parts).split("\n"))
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _link(text: str, href: str | None) -> str:
    url = _target(href or "")
    if url is None:
        return text
    shown = _WHITE_SPACE.sub(" ", text).strip()
    if not shown:
        return f" {url} "
    # The text is the URL, perhaps without its scheme, or cut short as Disqus shows
    # long ones ("https://shop.example/products/grin..."): the URL, once.
    bare = url.split("://", 1)[-1]
    cut = shown.removesuffix("\u2026").removesuffix("...")
    if shown in (url, bare, bare.rstrip("/")) or (
        cut != shown and len(cut) >= 8 and (url.startswith(cut) or bare.startswith(cut))
    ):
        return url
    return f"{text} ({url})"


def _target(href: str) -> str | None:
    """Where a link goes, if it is a web or mail link: Disqus's redirector
    (disq.us/url?url=...) is unwrapped to the page it leads to."""
    href = href.strip()
    try:
        parts = urlsplit(href)
        if parts.hostname in ("disq.us", "www.disq.us"):
            wrapped = parse_qs(parts.query).get("url")
            if wrapped:
                href = _DISQUS_LINK_HASH.sub("", wrapped[0])
                parts = urlsplit(href)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https", "mailto") or _WHITE_SPACE.search(href):
        return None
    return href
