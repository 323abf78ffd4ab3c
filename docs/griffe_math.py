"""A griffe extension for the docs build: reST `.. math::` in docstrings -> arithmatex `$$ ... $$`.

The docstrings keep the reST directive (readable in `help()` and in editors);
the docs site renders it with MathJax through `pymdownx.arithmatex`.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_INLINE = re.compile(r"^(?P<indent>[ \t]*)\.\. math:: (?P<expr>.+)$", re.M)
_BLOCK = re.compile(r"^(?P<indent>[ \t]*)\.\. math::[ \t]*\n(?P<body>(?:(?P=indent)[ \t]+.+\n?)+)", re.M)


def to_arithmatex(text: str) -> str:
    text = _BLOCK.sub(lambda m: f"{m['indent']}$$\n{_dedent(m['body'])}{m['indent']}$$\n", text)
    return _INLINE.sub(lambda m: f"{m['indent']}$$ {m['expr'].strip()} $$", text)


def _dedent(body: str) -> str:
    lines = body.rstrip("\n").split("\n")
    return "".join(line.strip() + "\n" for line in lines)


class MathBlocks(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None and ".. math::" in obj.docstring.value:
            obj.docstring.value = to_arithmatex(obj.docstring.value)
