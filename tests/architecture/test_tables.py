"""Every link kind and every rule action reaches every consumer: a kind without a predictor
step, a builder or a style, or an action that one renderer or the predictor does not know,
fails here before it can reach a user."""

from __future__ import annotations

import typing

import pytest

from netsim.links.kind import Style
from netsim.links.registry import LINKS
from netsim.model.graph import IfKind
from netsim.model.rules import Action
from netsim.predict.netfilter import VERDICTS
from netsim.realize.iptables_save import TARGETS
from netsim.realize.nft import ACTIONS
from netsim.runtime.docker.registry import DRIVERS

ACTION_TYPES = typing.get_args(Action)


@pytest.mark.parametrize("kind", list(IfKind))
def test_every_link_kind_has_every_consumer(kind: IfKind) -> None:
    entry = LINKS.get(kind)
    assert entry is not None, f"{kind} has no module in netsim/links"
    assert entry.kind == kind
    assert callable(entry.transmit), "predictor step"
    assert callable(entry.build), "netlink builder"
    assert isinstance(entry.style, Style) and entry.style.label, "drawing style"
    assert callable(entry.lint), "lint hook"


def test_link_styles_tell_kinds_apart() -> None:
    """What a picture shows must say which link it is: macvlan, ipvlan, VXLAN and veth differ."""
    shown = [LINKS[k].style.linestyle for k in (IfKind.VETH, IfKind.MACVLAN, IfKind.IPVLAN,
                                                 IfKind.VXLAN)]
    assert len({str(s) for s in shown}) == len(shown)


@pytest.mark.parametrize("action", ACTION_TYPES, ids=lambda t: t.__name__)
def test_every_rule_action_has_a_verdict_and_both_renderings(action: type) -> None:
    assert action in VERDICTS, "the predictor's netfilter does not know it"
    assert action in ACTIONS, "nft cannot render it"
    assert action in TARGETS, "iptables-save cannot render it"


def test_tables_name_nothing_that_is_not_an_action() -> None:
    for table in (VERDICTS, ACTIONS, TARGETS):
        assert set(table) == set(ACTION_TYPES)


def test_every_driver_has_its_parts() -> None:
    for name, d in DRIVERS.items():
        assert d.name == name
        for part in (d.validate, d.create, d.attach, d.gives_gateway):
            assert callable(part), f"{name}: {part}"
        assert (d.scope == "swarm") == (d.create_swarm is not None), name


def test_nft_text_is_never_built_from_an_unsafe_interface_name() -> None:
    """Issue 11: `x"accept;#` as a bridge name once turned a drop into an accept."""
    import pytest as _pytest

    from netsim.model.rules import Drop, Is, Match, Rule, Ruleset
    from netsim.realize.nft import render

    rules = Ruleset()
    rules.append("raw", "PREROUTING", Rule(Match(iif=Is('x"accept;#')), Drop(), "t"))
    with _pytest.raises(ValueError, match="refusing to write the interface name"):
        render(rules)
