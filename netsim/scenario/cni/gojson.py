"""Go's encoding/json as the CNI plugins decode their config: types as data, Go's own words.

A plugin's config struct is a `Struct` of fields; `decode` checks a value against it as
`json.Unmarshal` would and returns it with the keys spelled as the struct's tags spell them
(Go matches a key to a field case-insensitively, so `"IsGateway"` sets `isGateway`), nulls
dropped (Go leaves the field at its zero value), unknown keys kept (Go ignores them, and the
real plugin is handed the config as the user wrote it). The first wrong type in the document's
order is the error, worded as Go words it:
`json: cannot unmarshal string into Go struct field NetConf.isGateway of type bool`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from netsim.scenario.jsonpos import literal

INT64 = 1 << 63


@dataclass(frozen=True)
class GoType:
    shown: str  # the type's name in Go's errors
    kind: str  # bool | string | int | uint | float | any | list | map | struct
    elem: GoType | None = None
    fields: tuple[tuple[str, GoType], ...] = ()
    check: Callable[[str], str | None] | None = None  # a text type's own parse: its error
    owner: str = ""  # a struct: how Go's errors name it as a field's owner (`NetConf`)
    flat: bool = False  # a struct decoded by its own UnmarshalJSON: errors name its owner


class DecodeError(Exception):
    """What json.Unmarshal returned, and the key path of the value it is about."""

    def __init__(self, message: str, path: tuple):
        super().__init__(message)
        self.message, self.path = message, path


def _ip(text: str) -> str | None:
    try:
        ip_address(text)
    except ValueError:
        return f"invalid IP address: {text}"
    return None


def parse_cidr(text: str) -> IPv4Network | IPv6Network | None:
    """Go's net.ParseCIDR: the prefix length is required (a bare address is not a CIDR)."""
    try:
        return ip_network(text, strict=False) if "/" in text else None
    except ValueError:
        return None


def _cidr(text: str) -> str | None:
    return None if parse_cidr(text) else f"invalid CIDR address: {text}"


BOOL = GoType("bool", "bool")
STRING = GoType("string", "string")
INT = GoType("int", "int")
UINT64 = GoType("uint64", "uint")
UINT32 = GoType("uint32", "uint32")
ANY = GoType("interface {}", "any")
IP = GoType("net.IP", "string", check=_ip)  # net.IP's UnmarshalText
CIDR = GoType("string", "string", check=_cidr)  # types.IPNet decodes a string, then parses it


def list_of(elem: GoType, shown: str | None = None) -> GoType:
    return GoType(shown or f"[]{elem.shown}", "list", elem)


def map_of(elem: GoType) -> GoType:
    return GoType(f"map[string]{elem.shown}", "map", elem)


def struct(owner: str, shown: str | None = None, /, flat: bool = False,
           **fields: GoType) -> GoType:
    """A Go struct: `owner` as Go's errors name the struct a field is in, `shown` as they name
    the struct as a type (`allocator.Range`); field names are the JSON tags."""
    return GoType(shown or owner, "struct", fields=tuple(fields.items()), owner=owner,
                  flat=flat)


def extend(base: GoType, owner: str, /, **fields: GoType) -> GoType:
    """A struct that embeds `base` (`types.NetConf`) and adds its own fields."""
    return struct(owner, **{**dict(base.fields), **fields})


def field(obj: dict, key: str) -> object:
    """obj[key] as json.Unmarshal finds a struct field: the exact key, else any case of it
    (what `decode` does for a whole struct, for one field read before any decode)."""
    if key in obj:
        return obj[key]
    return next((v for k, v in obj.items() if k.casefold() == key.casefold()), None)


def kind_of(value: object) -> str:
    """How Go's errors name a JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    return "number"


def decode(value: object, t: GoType) -> object:
    """`value` decoded into `t` (the top-level struct); raises DecodeError."""
    return _decode(value, t, t.owner, (), ())


def _decode(value: object, t: GoType, owner: str, names: tuple, path: tuple) -> object:
    """`names`: the JSON field names Go's error joins (no indexes, no map keys); `path`: the
    key path of the value in the document, for its file:line."""
    if value is None:
        return None
    if not _FITS[t.kind](value):
        raise _wrong(value, t, owner, names, path)
    if t.kind == "string" and t.check:
        problem = t.check(value)
        if problem:
            raise DecodeError(problem, path)
    if t.kind == "list":
        return [_decode(v, t.elem, owner, names, (*path, i)) for i, v in enumerate(value)]
    if t.kind == "map":
        return {k: _decode(v, t.elem, owner, names, (*path, k)) for k, v in value.items()}
    if t.kind == "struct":
        return _struct(value, t, owner, names, path)
    return value


def _struct(value: dict, t: GoType, owner: str, names: tuple, path: tuple) -> dict:
    exact = dict(t.fields)
    folded = {k.casefold(): k for k in exact}
    out: dict = {}
    for key, item in value.items():
        name = key if key in exact else folded.get(key.casefold())
        if name is None:
            out[key] = item  # not a field: Go ignores it
            continue
        # a type with its own UnmarshalJSON (types.Route) names its owner's field, not its own
        inner = (owner, names) if t.flat else (t.owner, (*names, name))
        decoded = _decode(item, exact[name], *inner, (*path, key))
        if decoded is not None:
            out[name] = decoded
    return out


def _wrong(value: object, t: GoType, owner: str, names: tuple, path: tuple) -> DecodeError:
    shown = kind_of(value)
    if shown == "number" and t.kind in ("int", "uint", "uint32", "float"):
        shown = f"number {literal(value)}"
    where = f"Go struct field {owner}.{'.'.join(names)}" if names else "Go value"
    return DecodeError(f"json: cannot unmarshal {shown} into {where} of type {t.shown}", path)


def _is_int(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value < high


_FITS: dict[str, Callable[[object], bool]] = {
    "bool": lambda v: isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "int": lambda v: _is_int(v, -INT64, INT64),
    "uint": lambda v: _is_int(v, 0, 2 * INT64),
    "uint32": lambda v: _is_int(v, 0, 1 << 32),
    "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "any": lambda v: True,
    "list": lambda v: isinstance(v, list),
    "map": lambda v: isinstance(v, dict),
    "struct": lambda v: isinstance(v, dict),
}
