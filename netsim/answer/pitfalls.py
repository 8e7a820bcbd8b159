"""The warnings netsim prints before anything is built: what each code means and what to do.

One table, also printed in docs/docker-behaviour.md §9 (a test keeps the two equal); the
reports (JSON, JUnit, HTML) carry a warning's meaning and its anchor there."""

from __future__ import annotations

DOC = "docs/docker-behaviour.md#9-pitfalls"  # where every code is explained

# code -> (what it means, what to do: None where the page gives no fix)
PITFALLS: dict[str, tuple[str, str | None]] = {
    "P01": (
        "The host cannot reach its own macvlan / ipvlan containers, nor they the host "
        "(§6.4)",
        "a shim: `shim: true` on the network"),
    "P04": (
        "`ip_forward` is off: published ports and egress do not work (\"IPv4 forwarding is "
        "disabled. Networking will not work.\")",
        "leave forwarding on (`ip_forward: true`)"),
    "P09": (
        "Docker ≤ 27: unpublished container ports are reachable from the LAN by routing "
        "(§3.4)",
        "publish what must be reachable; DOCKER-USER rules"),
    "P11": (
        "No names on the default bridge: a container name does not resolve there (§1.7)",
        "a user-defined network, or `--link`"),
    "P12": (
        "A loopback DNS server of the host (127.0.0.53) is useless in a container on the "
        "default bridge; Docker falls back to 8.8.8.8",
        "`--dns`, or a user network"),
    "P13": (
        "Overlay MTU 1450 on a path that carries less: large packets vanish (§7.4)",
        "a smaller MTU for the overlay (`-o com.docker.network.driver.mtu`)"),
    "P14": (
        "An overlay dead across hosts: VXLAN's 4789/udp (or the control plane's 7946) "
        "blocked between them",
        "open the ports between the hosts"),
    "P15": (
        "A Docker subnet overlaps the LAN or a route of the host (§2.1)",
        "`--subnet`, or `default-address-pools`"),
    "P16": (
        "A host port is taken twice; the second `docker run` fails (§4.3)",
        "another host port"),
    "P19": (
        "`ip_range` without `gateway`: the gateway becomes the range's first address (§2.4)",
        "give `gateway`"),
    "P21": (
        "A bridge with about 1,000 endpoints or more: Docker's bridges become unstable",
        "more networks"),
    "P26": (
        "`-p` on a host, none, macvlan or ipvlan container publishes nothing",
        "reach the container's own address, or use a bridge"),
    "P30": (
        "ip6tables is off (20.10's default, or `ip6tables: false`): nothing filters IPv6; "
        "icc=false, `--internal` and network isolation do not hold over IPv6 (ipv6.md §7)",
        "`ip6tables: true` (20.10: with `experimental`)"),
    "P31": (
        "IPv6 leaves without NAT66 (ip6tables off, or `gateway_mode_ipv6=routed`) and the "
        "LAN has no route back to the subnet",
        "a route on the LAN (`lan.routes`), or ip6tables' NAT66"),
    "P32": (
        "Docker 20.10 with ip6tables: `--internal` rules drop the neighbour solicitations "
        "bridged between containers; they reach each other over IPv4 only (ipv6.md §7)",
        "Docker 28, or leave IPv6 off that network"),
    "P33": (
        "A macvlan or ipvlan range (`--ip-range`, else the subnet) covers addresses the LAN "
        "already uses: the Docker host, other machines, the router when it is not "
        "`--gateway`, a DHCP pool; Docker's IPAM does not know the LAN and hands them out in "
        "turn",
        "an `ip_range` of addresses nobody else uses (outside the DHCP pool), or "
        "`aux_addresses` to reserve them"),
    "C01": (
        "`portmap` hostPorts without `hairpinMode` on `bridge`: a pod cannot reach its own "
        "hostPort through the node's address",
        None),
    "C02": (
        "`ipMasq` off: pods reach beyond the node only where the network routes the pod "
        "subnet back",
        None),
    "C03": (
        "Two conflists on one node share a subnet: their pods collide",
        None),
    "C04": (
        "dockerd started first on a CNI node: it turned `ip_forward` on and set the FORWARD"
        " policy to DROP, so pod traffic the plugins do not accept is dropped",
        None),
    "C05": (
        "`tuning` sets one MAC for every pod of the network: they collide",
        None),
    "C07": (
        "An IPv6 range in someone else's global space: containerd's default conflist hands "
        "out 2001:4860:4860::/64, Google Public DNS's prefix, so 2001:4860:4860::8888 is "
        "on-link on cni0 for every pod",
        None),
    "C06": (
        "A conflist carries IPv6 that netsim does not model (a plugin other than `bridge` "
        "with `host-local`: a `ptp` range, a `static` address, ...): it goes to the real "
        "plugins as written, and only the IPv4 side is predicted",
        None),
    "F01": (
        "flanneld (host-gw) cannot route to a node that is not on its link: its log line, "
        "and no route",
        None),
    "F02": (
        "`lan.block` drops flannel's VXLAN port between the nodes: pods on different nodes "
        "cannot talk",
        None),
    "F03": (
        "A node's NIC says a larger MTU than the LAN carries: flannel's MTU (NIC − 50) is "
        "too large and big pod packets vanish",
        None),
    "F04": (
        "flannel's Network overlaps another network of the nodes",
        None),
    "F05": (
        "flannel with IPv6 (vxlan): the kernel clamps `flannel-v6.<VNI>` to the NIC's MTU −"
        " 70 while flanneld gives the pods NIC − 50; IPv6 pod packets in between get Packet"
        " Too Big between nodes",
        None),
    "K01": (
        "NetworkPolicies on a CNI that enforces none (flannel, bridge): the API server "
        "accepts them and nothing happens",
        None),
    "K02": (
        "A pod isolated for egress with no rule allowing port 53: it cannot resolve names",
        None),
    "K03": (
        "A `namespaceSelector` and a `podSelector` written as two peers (OR) in one rule, "
        "where one peer (AND) was likely meant",
        None),
    "K04": (
        "A rule for port 53 without `protocol: UDP`: TCP only, DNS queries stay blocked",
        None),
    "K05": (
        "Calico BGP without encapsulation to a node behind a router that does not peer: "
        "BIRD resolves the next hop through the default route and the router has no pod "
        "routes",
        None),
    "K06": (
        "A Calico pool with `natOutgoing: false` and no route back on the LAN: pods reach "
        "the nodes, nothing beyond them answers",
        None),
    "K07": (
        "Canal: felix's MTU auto-detection sees the uplinks, not `flannel.1`, so the pods "
        "get the host's MTU while flannel carries 50 bytes less (rancher/rancher#13984)",
        None),
    "K08": (
        "`hostNetwork` pods share their node's network: no container of their own, and no "
        "NetworkPolicy selects them",
        None),
    "K09": (
        "A Service whose selector matches no pod: no endpoints, kube-proxy REJECTs its "
        "connections (refused, not a timeout)",
        None),
    "K10": (
        "A Service port whose named `targetPort` no selected pod declares (no endpoints for"
        " that port), or whose numeric one is no declared containerPort of a pod "
        "(kube-proxy forwards there all the same)",
        None),
    "K11": (
        "`externalTrafficPolicy: Local` with nodes that run no endpoint: clients outside "
        "the cluster are dropped there",
        None),
    "K12": (
        "A pod's hostPort equal to a Service's NodePort: on that node portmap's DNAT comes "
        "first in iptables mode; in nftables mode the newer of the two nat base chains at "
        "priority dstnat (kube-proxy's, as netsim builds it)",
        None),
    "K13": (
        "Services and no `kube-system/kube-dns` Service (kubelet has no cluster DNS: "
        "ClusterFirst pods keep the node's resolv.conf, no Service name resolves), or a "
        "kube-dns without a 53/UDP port or without a CoreDNS pod behind it",
        None),
    "K14": (
        "A CoreDNS pod with dnsPolicy ClusterFirst: it would forward to itself (CoreDNS's "
        "loop plugin stops it); kubeadm's has `dnsPolicy: Default`",
        None),
}
