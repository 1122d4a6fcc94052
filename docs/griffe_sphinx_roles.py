"""A griffe extension for the API pages: the docstrings' Sphinx roles shown as code.

hoh's docstrings name other objects with Sphinx roles (``:class:`framework.Provider```), read
in the code as they are; mkdocstrings renders Markdown, where a role shows as literal text. This
turns each role into a code span when the site is built. The docstrings themselves are unchanged.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:class|func|meth|attr|data|mod|exc|obj):`~?([^`]+)`")


class SphinxRoles(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = ROLE.sub(r"`\1`", obj.docstring.value)
