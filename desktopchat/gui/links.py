"""Links in chat text: where they are and what a click opens. No Tk.

Role: :func:`split_links` cuts one piece of transcript text into plain and
link parts (``render.py`` tags the link parts "link"); :func:`target` says what
a link's text opens. The transcript's click and menu code (``linkclick.py``)
reads the link back from the Text, so no per-link state is kept anywhere.

Decisions:

* Recognised: ``http://``, ``https://``, ``www.`` (opened as ``http://www.``)
  and ``desktopchat://`` invitations, which are joined, never handed to a
  browser. Nothing else is a link: no ``file:``, ``javascript:`` or bare
  domains, so a member cannot make a click run anything but a web page or a
  join dialog.
* Trailing punctuation is not part of a link ("see https://x.org." ends at
  "org"); a closing bracket is kept only when the link opened one, as in
  Wikipedia addresses.
* Hostile text stays cheap: a link longer than :data:`MAX_LINK` characters is
  plain text, and an entry makes at most :data:`MAX_LINKS` links (the rest
  of its text is plain); the scan is one regular-expression pass.
"""

from __future__ import annotations

import re

__all__ = [
    "JOIN_SCHEME",
    "LINK_TAG",
    "MAX_LINK",
    "MAX_LINKS",
    "find_links",
    "is_join_link",
    "split_links",
    "target",
]

#: The Text tag of every link (its style and its mouse bindings).
LINK_TAG = "link"
#: The invitation scheme: such a link is joined, not opened in a browser.
JOIN_SCHEME = "desktopchat://"
#: Longer "links" are plain text: real addresses are far shorter, and Tk
#: should never underline and hit-test a 100,000-character run.
MAX_LINK = 2048
#: Links made clickable per transcript entry; a message of 10,000 links costs
#: no more than this many tag ranges.
MAX_LINKS = 200

# A link starts at a word boundary: "xhttp://" and "awww.x" are not links.
_LINK = re.compile(
    r"(?<![\w.@/-])(?:(?:https?|desktopchat)://|www\.)[^\s<>\"`{}|\\^]+",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?'\"*_~"
_PAIRS = {")": "(", "]": "[", "}": "{", ">": "<"}


def _trim(link: str) -> str:
    """``link`` without the punctuation that ends the sentence around it."""
    while link and _ends_sentence(link):
        link = link[:-1]
    return link


def _ends_sentence(link: str) -> bool:
    last = link[-1]
    if last in _PAIRS:  # ")" closing a "(" inside the link is part of it
        return link.count(last) > link.count(_PAIRS[last])
    return last in _TRAILING


def _has_host(link: str) -> bool:
    """True when something follows the scheme or ``www.`` ("http://" alone is no link)."""
    lower = link.lower()
    for start in ("https://", "http://", JOIN_SCHEME, "www."):
        if lower.startswith(start):
            return len(link) > len(start)
    return False


def find_links(text: str, limit: int = MAX_LINKS) -> list[tuple[int, int]]:
    """(start, end) of each link in ``text``, at most ``limit`` of them, in order."""
    spans: list[tuple[int, int]] = []
    if limit <= 0:
        return spans
    for match in _LINK.finditer(text):
        link = _trim(match.group())
        if len(link) > MAX_LINK or not _has_host(link):
            continue
        spans.append((match.start(), match.start() + len(link)))
        if len(spans) >= limit:
            break
    return spans


def split_links(text: str, limit: int = MAX_LINKS) -> list[tuple[str, bool]]:
    """``text`` as (part, is_link) pieces, in order, joined they give ``text``."""
    spans = find_links(text, limit)
    if not spans:
        return [(text, False)]
    out: list[tuple[str, bool]] = []
    at = 0
    for start, end in spans:
        if start > at:
            out.append((text[at:start], False))
        out.append((text[start:end], True))
        at = end
    if at < len(text):
        out.append((text[at:], False))
    return out


def is_join_link(link: str) -> bool:
    """True for a ``desktopchat://`` invitation (joined, not opened in a browser)."""
    return link[: len(JOIN_SCHEME)].lower() == JOIN_SCHEME


def target(link: str) -> str:
    """What clicking ``link`` opens: ``www.x`` is ``http://www.x``, others as written."""
    if link[:4].lower() == "www.":
        return "http://" + link
    return link
