"""kube-flannel's net-conf.json (`flannel:` in a scenario, inline or `{file: PATH}`), checked as
flanneld checks it (pkg/subnet/config.go), with its words."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

from netsim.errors import ScenarioError
from netsim.model.assembly import Assembly
from netsim.scenario import jsonpos, userfile
from netsim.scenario.cni import gojson
from netsim.scenario.yamlpos import Positions

KEYS = ("Network", "SubnetLen", "SubnetMin", "SubnetMax", "Backend", "EnableIPv4",
        "EnableIPv6", "IPv6Network", "EnableNFTables")
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
class NetConf:
    network: IPv4Network
    subnet_len: int
    subnet_min: IPv4Address
    subnet_max: IPv4Address
    backend: str  # vxlan | host-gw
    vni: int
    port: int
    direct_routing: bool
    ip_masq: bool  # flanneld --ip-masq: flanneld masquerades, the bridge does not

    def subnets(self) -> Iterator[IPv4Network]:
        """The leases a node may get, in order, from SubnetMin to SubnetMax: as many as are
        asked for (a /8 of /30s is four million)."""
        size = 1 << (32 - self.subnet_len)
        first, last = int(self.subnet_min), int(self.subnet_max)
        return (IPv4Network((a, self.subnet_len)) for a in range(first, last + 1, size))


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
    if doc.get("EnableIPv6") or doc.get("IPv6Network"):
        raise asm.error(("flannel", "EnableIPv6"), "netsim models IPv4 pod networks only")
    if doc.get("EnableNFTables"):
        raise asm.error(("flannel", "EnableNFTables"), "netsim plays flanneld in iptables "
                        "mode (EnableNFTables: false), the mode kube-flannel ships")
    network = _network(asm, doc)
    subnet_len = _subnet_len(asm, doc, network)
    size = 1 << (32 - subnet_len)
    # kube-flannel leases each node its podCIDR, which kube-controller-manager hands out from
    # the Network's first subnet on (flanneld's own etcd mode would skip that one)
    low = _bound(asm, doc, "SubnetMin", network, subnet_len, network.network_address)
    high = _bound(asm, doc, "SubnetMax", network, subnet_len,
                  IPv4Address(int(network.broadcast_address) + 1 - size))
    backend = _backend(asm, doc.get("Backend"))
    return NetConf(network, subnet_len, low, high, backend["Type"],
                   backend.get("VNI", 1), backend.get("Port") or KERNEL_PORT,
                   bool(backend.get("DirectRouting")), bool(value.get("ip_masq", True)))


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


def _network(asm: _Errors, doc: dict) -> IPv4Network:
    try:
        return IPv4Network(str(doc["Network"]))
    except (KeyError, ValueError):
        raise asm.error(("flannel", "Network"), "please define a correct Network parameter "
                        "in the flannel config", "Network: 10.244.0.0/16") from None


def _subnet_len(asm: _Errors, doc: dict, network: IPv4Network) -> int:
    """The defaults and limits of CheckNetworkConfig."""
    if not doc.get("SubnetLen"):
        if network.prefixlen > 28:
            raise asm.error(("flannel", "Network"), "network is too small. Minimum useful "
                            "network prefix is /28")
        return 24 if network.prefixlen <= 22 else network.prefixlen + 2
    n = doc["SubnetLen"]
    if not isinstance(n, int) or n > 30:
        raise asm.error(("flannel", "SubnetLen"), "SubnetLen must be less than /31")
    if n < network.prefixlen + 2:
        raise asm.error(("flannel", "SubnetLen"), "network must be able to accommodate at "
                        "least four subnets")
    return n


def _bound(asm: _Errors, doc: dict, key: str, network: IPv4Network, subnet_len: int,
           default: IPv4Address) -> IPv4Address:
    if key not in doc:
        return default
    try:
        value = IPv4Address(str(doc[key]))
    except ValueError:
        raise asm.error(("flannel", key), f"{doc[key]!r} is not an IPv4 address") from None
    if value not in network:
        raise asm.error(("flannel", key), f"{key} is not in the range of the Network")
    if int(value) & ((1 << (32 - subnet_len)) - 1):
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
