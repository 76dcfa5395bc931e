"""File transfers of the client library (issue 11; docs/PROTOCOL.md section 14).

``engine.py`` is the state one ChatClient keeps (offers, fetches, streams),
driven by its network thread; ``sending.py`` and ``receiving.py`` are its two
halves; ``outgoing.py`` reads and fingerprints what we offer, ``incoming.py``
writes and checks what we receive. Nothing here imports Tk or touches a socket.
"""
