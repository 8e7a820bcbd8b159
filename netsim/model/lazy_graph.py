"""The model's networkx graph, made when first read.

A model is written while it is built (namespaces, interfaces, links, networks) but its graph
is read only by who asks for it (`Lab.graph`, `Model.wires()`, a notebook): the predictor
walks the model's own indexes. Importing networkx is a fifth of a `netsim check`'s start-up,
so the writes are kept, in order, and replayed into an `nx.MultiGraph` on the first read;
after that they go straight to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx


class LazyGraph:
    def __init__(self) -> None:
        self._ops: list[tuple[str, tuple, dict]] = []
        self._graph: nx.MultiGraph | None = None
        self._tunnels: dict[str, list[str]] = {}  # node -> its tunnel peers, in order

    def add_node(self, node: str, **attrs: Any) -> None:
        self._write("add_node", (node,), attrs)

    def add_edge(self, a: str, b: str, **attrs: Any) -> None:
        self._write("add_edge", (a, b), attrs)

    def remove_node(self, node: str) -> None:
        for peer in self._tunnels.pop(node, []):  # its edges go with it
            self._tunnels[peer].remove(node)
        self._write("remove_node", (node,), {})

    def add_tunnel(self, a: str, b: str, **attrs: Any) -> None:
        """One edge per pair, however often both ends say so."""
        if b not in self._tunnels.get(a, ()):
            self._tunnels.setdefault(a, []).append(b)
            self._tunnels.setdefault(b, []).append(a)
            self.add_edge(a, b, **attrs)

    def tunnel_peers(self, node: str) -> list[str]:
        return list(self._tunnels.get(node, ()))

    def _write(self, op: str, args: tuple, attrs: dict) -> None:
        if self._graph is None:
            self._ops.append((op, args, attrs))
        else:
            getattr(self._graph, op)(*args, **attrs)

    def get(self) -> nx.MultiGraph:
        if self._graph is None:
            import networkx as nx

            graph = nx.MultiGraph()
            for op, args, attrs in self._ops:
                getattr(graph, op)(*args, **attrs)
            self._graph, self._ops = graph, []
        return self._graph
