"""Query parameters as Binance reads them: formats first (-1100), then meaning.

Handlers see ``Params``, the query string as a dict (the first value of a repeated name wins,
as on Binance).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from . import errors

Params = Mapping[str, str]

_NUMBER = re.compile(r"^[0-9]{1,20}$")
_SYMBOL = re.compile(r"^[A-Z0-9\-_.]{1,20}$")


def dumps(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def number(params: Params, name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not _NUMBER.match(raw):
        raise errors.illegal_chars(name, errors.NUMBER_RANGE)
    return int(raw)


def symbol(params: Params, name: str = "symbol") -> str | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not _SYMBOL.match(raw):
        raise errors.illegal_chars(name, errors.SYMBOL_RANGE)
    return raw


def required_symbol(params: Params, name: str = "symbol") -> str:
    value = symbol(params, name)
    if value is None:
        raise errors.mandatory(name)
    return value


def limit(params: Params, default: int, maximum: int) -> int:
    value = number(params, "limit")
    if value is None:
        return default
    if not 1 <= value <= maximum:
        raise errors.invalid_param("limit")
    return value


def futures_weight(params: Params) -> int:
    """USDⓈ-M/COIN-M klines weight by ``limit``: [1,100) 1, [100,500) 2, [500,1000] 5, >1000 10.

    Charged before validation, like every weight: a malformed limit counts as the default.
    """
    raw = params.get("limit") or ""
    value = int(raw) if _NUMBER.match(raw) else 500
    if value < 100:
        return 1
    if value < 500:
        return 2
    return 5 if value <= 1000 else 10
