"""Big rooms on the wire: the ``crowd`` word and the coalesced presence lines.

A room with more members than its threshold offers ``crowd`` in its
``*hello`` (``desktopchat 2 crowd``); a protocol-2 client that answers with
the word (``/protocol 2 TOKEN [EPOCH ID] crowd``) gets joins and leaves
coalesced (``joins``/``leaves``, at most one of each a second) and the member
list in pages (``users from=S of=N``, ``who CID FROM``). Everybody else gets
readable lines (:func:`summary`): protocol-1 members as ``*info`` pairs.
docs/PROTOCOL.md, "Big rooms", is the behaviour.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["CROWD_WORD", "SHOWN_NAMES", "summary"]

#: The feature word of the offer and of the upgrade frame.
CROWD_WORD = "crowd"

#: Names a summary line spells out before "and N more".
SHOWN_NAMES = 5


def summary(verb: str, count: int, names: Sequence[str]) -> str:
    """``ann joined``, or ``12 joined: ann, bob, carol, dave, eve and 7 more``.

    ``verb`` is ``joined`` or ``left``; ``names`` are the first of the ``count``.
    """
    if count == 1 and names:
        return f"{names[0]} {verb}"
    shown = ", ".join(names[:SHOWN_NAMES])
    if not shown:
        return f"{count:,} {verb}"
    more = count - min(len(names), SHOWN_NAMES)
    return f"{count:,} {verb}: {shown}" + (f" and {more:,} more" if more > 0 else "")
