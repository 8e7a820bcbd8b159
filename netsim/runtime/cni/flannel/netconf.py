"""kube-flannel's net-conf.json (`flannel:` in a scenario, inline or `{file: PATH}`), checked as
flanneld checks it (pkg/subnet/config.go), with its words."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import IPv4Network, ip_address, ip_network
from pathlib import Path

from netsim.errors import ScenarioError
from netsim.model.assembly import Assembly
from netsim.model.graph import IPAddress, IPNetwork
from netsim.scenario import jsonpos, userfile
from netsim.scenario.cni import gojson
from netsim.scenario.yamlpos import Positions

KEYS = ("Network", "SubnetLen", "SubnetMin", "SubnetMax", "Backend", "EnableIPv4",
        "EnableIPv6", "IPv6Network", "IPv6SubnetLen", "IPv6SubnetMin", "IPv6SubnetMax",
        "EnableNFTables")
NETSIM_KEYS = ("ip_masq", "file")  # flanneld's --ip-masq (kube-flannel.yml passes it)
BACKEND_KEYS = {"vxlan": ("Type", "VNI", "Port", "GBP", "Learning", "DirectRouting", "MTU"),
                "host-gw": ("Type",)}
LATER = ("udp", "ipip", "wireguard", "ipsec", "alloc", "extension", "tencent-vpc",
         "alivpc", "aws-vpc", "gce")
KERNEL_PORT = 8472  # a VXLAN device without a port uses the kernel's old default
MAX_BYTES = 64 << 10  # kube-flannel's is 100 bytes
# the Go structs flanneld decodes into (pkg/subnet/config.go; the vxlan backend's own)
CONFIG = gojson.struct("Config", EnableIPv4=gojson.BOOL, EnableIPv6=gojson.BOOL,
                       EnableNFTables=gojson.BOOL, SubnetLen=gojson.UINT64,
                       IPv6SubnetLen=gojson.UINT64)
BACKEND = gojson.struct("", "struct", Type=gojson.STRING)
VXLAN = gojson.struct("", "struct", VNI=gojson.INT, Port=gojson.INT, MTU=gojson.INT,
                      GBP=gojson.BOOL, Learning=gojson.BOOL, DirectRouting=gojson.BOOL)


@dataclass(frozen=True)
class Family:
    """What net-conf.json calls one family's keys, and flanneld's limits for it
    (CheckNetworkConfig)."""

    network: str  # its Network key
    subnet_len: str
    subnet_min: str
    subnet_max: str
    longest: int  # the longest SubnetLen (a tunnel and a bridge address per node)
    smallest: int  # the longest Network prefix that still holds four subnets
    default_len: int  # SubnetLen when not given and the Network is big enough
    bits: int


FAMILIES = {
    4: Family("Network", "SubnetLen", "SubnetMin", "SubnetMax", 30, 28, 24, 32),
    6: Family("IPv6Network", "IPv6SubnetLen", "IPv6SubnetMin", "IPv6SubnetMax", 126, 124, 64,
              128),
}


@dataclass(frozen=True)
class Pool:
    """One family's pod network: the Network and the node subnets it leases."""

    network: IPNetwork
    subnet_len: int
    subnet_min: IPAddress
    subnet_max: IPAddress

    def subnets(self) -> Iterator[IPNetwork]:
        """The leases a node may get, in order, from SubnetMin to SubnetMax: as many as are
        asked for (a /8 of /30s is four million, a /48 of /64s 65536)."""
        size = 1 << (self.network.max_prefixlen - self.subnet_len)
        first, last = int(self.subnet_min), int(self.subnet_max)
        kind = type(self.network)  # an int alone would read as IPv4 below 2**32
        return (kind((a, self.subnet_len)) for a in range(first, last + 1, size))


@dataclass(frozen=True)
class NetConf:
    pools: dict[int, Pool]  # by family: 4, and 6 with EnableIPv6
    backend: str  # vxlan | host-gw
    vni: int
    port: int
    direct_routing: bool
    ip_masq: bool  # flanneld --ip-masq: flanneld masquerades, the bridge does not

    @property
    def network(self) -> IPv4Network:
        return self.pools[4].network  # type: ignore[return-value]

    @property
    def families(self) -> tuple[int, ...]:
        return tuple(self.pools)


class _Errors:
    """asm.error, with a net-conf.json read from a file answered at the file's own line."""

    def __init__(self, asm: Assembly, file: Positions | None):
        self.asm, self.file = asm, file

    def error(self, path: tuple, message: str, valid: str | None = None,
              at_key: bool = False) -> ScenarioError:
        if self.file is None:
            return self.asm.error(path, message, valid, at_key)
        return ScenarioError(message, self.file.where(path[1:], at_key=at_key), valid)


def read(asm: Assembly) -> NetConf | None:
    value = asm.sc.flannel
    if not value:
        return None
    positions = None
    if set(value) <= {"file", "ip_masq"} and "file" in value:
        doc, positions = _file(asm, value)
    else:
        doc = dict(value)
    return _conf(_Errors(asm, positions), doc, value)


def _conf(asm: _Errors, doc: dict, value: dict) -> NetConf:
    try:
        doc = gojson.decode(doc, CONFIG)
    except gojson.DecodeError as e:
        raise asm.error(("flannel", *e.path), e.message) from None
    for key in doc:
        if key not in (*KEYS, *NETSIM_KEYS):
            raise asm.error(("flannel", key), f"unknown net-conf key {key!r}",
                            ", ".join((*KEYS, "ip_masq")), at_key=True)
    if doc.get("EnableIPv4") is False:
        raise asm.error(("flannel", "EnableIPv4"), "netsim models flannel with IPv4 on; an "
                        "IPv6-only pod network (EnableIPv4: false) is not modelled yet",
                        "EnableIPv4: true, with EnableIPv6 for dual stack")
    if doc.get("EnableNFTables"):
        raise asm.error(("flannel", "EnableNFTables"), "netsim plays flanneld in iptables "
                        "mode (EnableNFTables: false), the mode kube-flannel ships")
    six = _network(asm, doc, 6, required=bool(doc.get("EnableIPv6")))
    pools = {4: _pool(asm, doc, 4, _network(asm, doc, 4, required=True))}
    if doc.get("EnableIPv6"):
        pools[6] = _pool(asm, doc, 6, six)
    backend = _backend(asm, doc.get("Backend"))
    return NetConf(pools, backend["Type"], backend.get("VNI", 1),
                   backend.get("Port") or KERNEL_PORT, bool(backend.get("DirectRouting")),
                   bool(value.get("ip_masq", True)))


def _pool(asm: _Errors, doc: dict, family: int, network: IPNetwork) -> Pool:
    """kube-flannel leases each node its podCIDR, which kube-controller-manager hands out from
    the Network's first subnet on (flanneld's own etcd mode would skip that one)."""
    keys = FAMILIES[family]
    subnet_len = _subnet_len(asm, doc, keys, network)
    size = 1 << (keys.bits - subnet_len)
    low = _bound(asm, doc, keys, keys.subnet_min, network, subnet_len, network.network_address)
    high = _bound(asm, doc, keys, keys.subnet_max, network, subnet_len,
                  type(network.network_address)(int(network.broadcast_address) + 1 - size))
    return Pool(network, subnet_len, low, high)


def _file(asm: Assembly, value: dict) -> tuple[dict, Positions]:
    file = Path(asm.loaded.path).parent / str(value["file"])
    try:
        text = userfile.read_text(file, MAX_BYTES, "kube-flannel's net-conf.json")
    except ScenarioError as e:
        raise asm.error(("flannel", "file"), e.message, e.valid) from None
    data, positions = jsonpos.load(text, str(file))
    if not isinstance(data, dict):
        raise ScenarioError("net-conf.json is a JSON object", positions.where(()))
    if userfile.foreign(data, (*KEYS, *NETSIM_KEYS)):
        raise userfile.not_a(str(file), "kube-flannel's net-conf.json", ", ".join(KEYS))
    return data, positions


def _network(asm: _Errors, doc: dict, family: int, required: bool) -> IPNetwork:
    """A family's Network; Go decodes it whether or not that family is on (k3s writes
    IPv6Network "::/0" with EnableIPv6 false)."""
    keys = FAMILIES[family]
    text = doc.get(keys.network)
    try:
        network = ip_network(str(text), strict=False)
    except ValueError:
        network = None
    if network is not None and network.version == family:
        return network
    if not required:  # Go's json.Unmarshal parses it anyway (net.ParseCIDR)
        if text is not None and network is None:
            raise asm.error(("flannel", keys.network), f"invalid CIDR address: {text}")
        return ip_network("::/0" if family == 6 else "0.0.0.0/0")
    raise asm.error(("flannel", keys.network), f"please define a correct {keys.network} "
                    "parameter in the flannel config", f"{keys.network}: "
                    + ("fd00:10:244::/56" if family == 6 else "10.244.0.0/16"))


def _subnet_len(asm: _Errors, doc: dict, keys: Family, network: IPNetwork) -> int:
    """The defaults and limits of CheckNetworkConfig."""
    if not doc.get(keys.subnet_len):
        if network.prefixlen > keys.smallest:
            name = "network" if keys.network == "Network" else keys.network
            raise asm.error(("flannel", keys.network), f"{name} is too small. Minimum useful "
                            f"network prefix is /{keys.smallest}")
        if network.prefixlen <= keys.default_len - 2:
            return keys.default_len
        return network.prefixlen + 2
    n = doc[keys.subnet_len]
    if not isinstance(n, int) or n > keys.longest:
        raise asm.error(("flannel", keys.subnet_len), "SubnetLen must be less than "
                        f"/{keys.longest + 1}")
    if n < network.prefixlen + 2:
        raise asm.error(("flannel", keys.subnet_len), "network must be able to accommodate "
                        "at least four subnets")
    return n


def _bound(asm: _Errors, doc: dict, keys: Family, key: str, network: IPNetwork,
           subnet_len: int, default: IPAddress) -> IPAddress:
    if key not in doc:
        return default
    try:
        value = ip_address(str(doc[key]))
    except ValueError:
        value = None
    if value is None or value.version != network.version:
        raise asm.error(("flannel", key), f"{doc[key]!r} is not an IPv{network.version} "
                        "address") from None
    if value not in network:
        raise asm.error(("flannel", key), f"{key} is not in the range of the {keys.network}")
    if int(value) & ((1 << (keys.bits - subnet_len)) - 1):
        raise asm.error(("flannel", key), f"{key} is not on a SubnetLen boundary: {value}")
    return value


def _backend(asm: _Errors, backend: object) -> dict:
    path = ("flannel", "Backend")
    if backend is None:  # flanneld's default; its udp backend is gone from current releases
        raise asm.error(path, "no Backend: flanneld would take the udp backend, which "
                        "netsim does not model", "Backend: {Type: vxlan} or {Type: host-gw}")
    if not isinstance(backend, dict):
        raise asm.error(path, "error decoding Backend property of config",
                        "{Type: vxlan} or {Type: host-gw}")
    try:  # flanneld reads the backend's type first (a struct of Type only), then its config
        kind = gojson.decode(backend, BACKEND).get("Type")
    except gojson.DecodeError as e:
        raise asm.error((*path, *e.path), "error decoding Backend property of config: "
                        + e.message) from None
    if kind in LATER:
        raise asm.error((*path, "Type"), f"netsim does not model flannel's {kind} backend",
                        ", ".join(BACKEND_KEYS))
    if kind not in BACKEND_KEYS:
        raise asm.error((*path, "Type"), f"{kind}: unknown backend type",
                        ", ".join(BACKEND_KEYS))
    for key in backend:
        if key not in BACKEND_KEYS[kind]:
            raise asm.error((*path, key), f"the {kind} backend has no option {key!r}",
                            ", ".join(BACKEND_KEYS[kind]), at_key=True)
    if kind == "vxlan":
        try:
            backend = gojson.decode(backend, VXLAN)
        except gojson.DecodeError as e:
            raise asm.error((*path, *e.path), "error decoding VXLAN backend config: "
                            + e.message) from None
        port = backend.get("Port", 0)
        if not 0 <= port < 1 << 16:
            raise asm.error((*path, "Port"), f"invalid VXLAN port {port}", "1 to 65535")
    for key in ("GBP", "Learning", "MTU"):
        if backend.get(key):
            raise asm.error((*path, key), f"netsim does not model the vxlan backend's {key}")
    vni = backend.get("VNI", 1)
    if not 0 < vni < 1 << 24:
        raise asm.error((*path, "VNI"), f"invalid VNI {vni}", "1 to 16777215")
    return backend
