"""One-line user messages: whatever text they quote, they print as one safe line.

A message quotes what the user gave (a path, a key, a formula, a TOML value). Control
characters would break the line or move the cursor, and bidirectional overrides (U+202E)
would make the terminal show the quoted text reversed; :func:`one_line` escapes them all.
"""

from __future__ import annotations

import unicodedata

MAX_MESSAGE_LENGTH = 2000

# Cc: control characters (newline, ESC, DEL, C1); Cf: format characters (right-to-left
# overrides and isolates, zero-width joiners, BOM); Zl/Zp: line and paragraph separators;
# Cs/Co/Cn: lone surrogates, private-use and unassigned code points.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def one_line(text: object, limit: int = MAX_MESSAGE_LENGTH) -> str:
    """``text`` with every control, format, separator or unassigned character escaped as
    ``\\xNN``/``\\uNNNN`` and cut to ``limit`` characters: one printable line."""
    safe = "".join(_escape(ch) if unicodedata.category(ch) in _UNSAFE_CATEGORIES else ch for ch in str(text))
    return safe if len(safe) <= limit else safe[: limit - 3] + "..."
