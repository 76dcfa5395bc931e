"""Reaching a room across a network: encryption, pins, invitations, discovery.

Every module here imports the standard library at the top and its heavier
libraries (``cryptography``, ``zeroconf``) only inside the functions that
need them, so starting the window stays fast. Nothing here imports the gui
or tkinter; server, client, gui and ``__main__`` may import it.

* ``tls.py``: the room's certificate identity, fingerprints, SSL contexts.
* ``pins.py``: the rooms this user trusts, by address (trust on first use).
"""
