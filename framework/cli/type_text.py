"""Parameter types and bounds the way a person writes them: ``int >= 1``, ``0 <= float < 1``, ``[int, int]``.

``hoh plugins`` shows these instead of pydantic's internals (``Annotated[int, Gt(gt=0)]``).
"""

from __future__ import annotations

import json
import types
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic.fields import FieldInfo

_NAMES = {type(None): "none", Path: "path", str: "str", int: "int", float: "float", bool: "bool"}


def field_text(field: FieldInfo) -> str:
    """The type of ``field`` with its bounds: ``int >= 1``; ``0 <= float < 1``."""
    return _with_bounds(type_text(field.annotation), field.metadata)


def type_text(annotation: Any) -> str:
    """A type annotation as a person writes it."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _with_bounds(type_text(args[0]), args[1:])
    if origin is Literal:  # as TOML writes the values
        return " | ".join(json.dumps(value) for value in args)
    if origin in (Union, types.UnionType):
        return " | ".join(type_text(arg) for arg in args)
    if origin is tuple:
        return "[" + ", ".join(type_text(arg) for arg in args if arg is not Ellipsis) + "]"
    if origin is list:
        return f"list of {type_text(args[0])}" if args else "list"
    if origin is dict:
        return "table"
    if annotation in _NAMES:
        return _NAMES[annotation]
    return getattr(annotation, "__name__", str(annotation))


def _with_bounds(text: str, metadata: Any) -> str:
    low = high = None
    for item in metadata:
        for name, sign in (("ge", "<="), ("gt", "<")):
            if getattr(item, name, None) is not None:
                low = f"{getattr(item, name)} {sign} "
        for name, sign in (("le", "<="), ("lt", "<")):
            if getattr(item, name, None) is not None:
                high = f" {sign} {getattr(item, name)}"
    if low and high:
        return f"{low}{text}{high}"
    if low:  # "int >= 1" reads better than "1 <= int"
        value, sign = low.split()[0], low.split()[1]
        return f"{text} {'>=' if sign == '<=' else '>'} {value}"
    return f"{text}{high}" if high else text
