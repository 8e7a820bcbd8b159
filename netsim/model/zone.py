"""A Kubernetes cluster's DNS zone as CoreDNS's kubernetes plugin answers it (kubernetes/dns
docs/specification.md; the kubeadm Corefile: `kubernetes cluster.local in-addr.arpa ip6.arpa
{ pods insecure }`, `forward . /etc/resolv.conf`).

Records: a Service's A record is its ClusterIP; a headless Service's are its ready endpoints
(none: NXDOMAIN, spec §2.4.1), each also under its hostname (the pod's `hostname` when its
`subdomain` is the Service, else its address dashed, as CoreDNS names it); `a-b-c-d.NS.pod.ZONE`
is a.b.c.d for any address (`pods insecure`). A name above a record (`svc.cluster.local`) exists
without an address (NOERROR, no answer); the rest of the zone is NXDOMAIN; a name outside it is
not the zone's (CoreDNS forwards it).

Plain data (strings) and one function, so the lab's server answers from the very object the
model predicts from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

DOMAIN = "cluster.local"  # kubeadm's networking.dnsDomain, kubelet's clusterDomain
_POD = re.compile(r"^(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})\.[a-z0-9]([-a-z0-9]*[a-z0-9])?\.pod\.")

NOERROR, NXDOMAIN = "noerror", "nxdomain"


@dataclass
class Zone:
    domain: str = DOMAIN
    names: dict[str, list[str]] = field(default_factory=dict)  # FQDN (no final dot) -> A

    def holds(self, name: str) -> bool:
        return name == self.domain or name.endswith("." + self.domain)

    def answer(self, name: str, six: bool = False) -> tuple[str, list[str]] | None:
        """(rcode, addresses) for a name in the zone (AAAA: none, Services are IPv4 here);
        None for a name outside it."""
        if not self.holds(name):
            return None
        if name in self.names:
            return NOERROR, [] if six else list(self.names[name])
        pod = _POD.match(name)
        if pod and name.count(".") == self.domain.count(".") + 3 and \
                all(int(x) < 256 for x in pod.groups()[:4]):
            return NOERROR, [] if six else [".".join(pod.groups()[:4])]
        if name == self.domain or any(n.endswith("." + name) for n in self.names):
            return NOERROR, []  # an empty non-terminal: it exists, with no address
        return NXDOMAIN, []

    def as_dict(self) -> dict:
        return {"domain": self.domain, "names": self.names}
