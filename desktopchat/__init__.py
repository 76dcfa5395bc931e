"""desktopchat: a desktop chat room for a small group on one network.

The version lives here and only here; pyproject.toml reads it.
"""

__version__ = "0.1.0"
