"""Calico's own resources as calicoctl applies them (`calico:`: a list, or `{file: PATH}`,
multi-document): IPPool and BGPConfiguration, defaulted and validated as libcalico-go does
(api/pkg/apis/projectcalico/v3, lib/validator/v3), refused in calicoctl's words."""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Network, ip_network
from pathlib import Path

from netsim.errors import ScenarioError
from netsim.model.assembly import Assembly
from netsim.scenario import kubernetes as k8s
from netsim.scenario import userfile

API = "projectcalico.org/v3"
MODES = {"ipipMode": ("Never", "Always", "CrossSubnet"),
         "vxlanMode": ("Never", "Always", "CrossSubnet")}
KINDS = ("IPPool", "BGPConfiguration", "FelixConfiguration")
DEFAULT_AS = 64512
BLOCK_V4 = (20, 32)  # the block sizes calico-ipam takes for IPv4 (validator: blockSize)


@dataclass(frozen=True)
class Pool:
    name: str
    cidr: IPv4Network
    block: int
    ipip: str
    vxlan: str
    nat_outgoing: bool
    disabled: bool

    @property
    def encap(self) -> str | None:
        """'vxlan' or 'ipip' when the pool encapsulates (any mode but Never)."""
        return "vxlan" if self.vxlan != "Never" else "ipip" if self.ipip != "Never" else None

    @property
    def cross_subnet(self) -> bool:
        return "CrossSubnet" in (self.vxlan, self.ipip)


@dataclass
class Resources:
    pools: list[Pool] = field(default_factory=list)
    mesh: bool = True  # BGPConfiguration nodeToNodeMeshEnabled
    asn: int = DEFAULT_AS
    endpoint_to_host: str = "Accept"  # FelixConfiguration defaultEndpointToHostAction
    # (the calico.yaml manifest sets ACCEPT; felix's own default is Drop)


def read(asm: Assembly, value: object) -> Resources | None:
    """None when the scenario has no `calico:` (calico-ipam refuses a node without a pool;
    Canal's host-local needs none)."""
    if value is None or value == [] or value == {}:
        return None
    objects = _objects(asm, value)
    out = Resources()
    for i, obj in enumerate(objects):
        at = ("calico", i)
        kind, version = obj.get("kind"), obj.get("apiVersion")
        if kind not in KINDS or version != API:
            raise asm.error(at, f'resource type "{kind}" is not supported (apiVersion {version})',
                            f"{API} " + ", ".join(KINDS))
        name = (obj.get("metadata") or {}).get("name")
        if not name:
            raise asm.error(at, "error with field Metadata.Name = '' (name is required)")
        spec = obj.get("spec") or {}
        if not isinstance(spec, dict):
            raise asm.error((*at, "spec"), "spec: expected a mapping")
        if kind == "IPPool":
            out.pools.append(_pool(asm, str(name), spec, at))
        elif kind == "BGPConfiguration":
            out.mesh = bool(spec.get("nodeToNodeMeshEnabled", True))
            out.asn = int(spec.get("asNumber", DEFAULT_AS))
        else:
            action = spec.get("defaultEndpointToHostAction", "Drop")
            if action not in ("Drop", "Accept", "Return"):
                raise asm.error((*at, "spec", "defaultEndpointToHostAction"),
                                f"error with field DefaultEndpointToHostAction = '{action}'",
                                "Drop, Accept, Return")
            out.endpoint_to_host = action
    return out


def _objects(asm: Assembly, value: object) -> list[dict]:
    if isinstance(value, dict) and set(value) == {"file"}:
        path = Path(asm.loaded.path).parent / str(value["file"])
        try:
            text = userfile.read_text(path, k8s.MAX_BYTES, "Calico resources (.yaml)")
        except ScenarioError as e:  # said at the key that names the file
            raise asm.error(("calico", "file"), e.message, e.valid) from None
        docs: list = [d for d in k8s._documents(text, str(path)) if d is not None]
    elif isinstance(value, list):
        docs = value
    else:
        raise asm.error(("calico",), "expected a list of Calico resources, or {file: PATH}")
    out = []
    for d in docs:
        if isinstance(d, dict) and d.get("kind") in ("IPPoolList", "List"):
            out += list(d.get("items") or [])
        else:
            out.append(d)
    for i, d in enumerate(out):
        if not isinstance(d, dict):
            raise asm.error(("calico", i), "a Calico resource is a mapping (apiVersion, kind, "
                            "metadata, spec)")
    return out


def _pool(asm: Assembly, name: str, spec: dict, at: tuple) -> Pool:
    where = (*at, "spec")
    cidr = str(spec.get("cidr", ""))
    if not cidr:
        raise asm.error(where, "error with field IPpool.CIDR = '' (IPPool CIDR must be specified)")
    try:
        net = ip_network(cidr, strict=False)
    except ValueError:
        raise asm.error((*where, "cidr"), f"error with field IPpool.CIDR = '{cidr}' (IPPool "
                        "CIDR must be a valid subnet)") from None
    if str(net) != cidr and str(net.network_address) != cidr.split("/")[0]:
        raise asm.error((*where, "cidr"), f"error with field IPpool.CIDR = '{cidr}' (IP pool "
                        "CIDR is not strictly masked)", str(net))
    if net.version != 4:
        raise asm.error((*where, "cidr"), f"{cidr}: netsim models IPv4 Calico pools only yet",
                        "an IPv4 CIDR")
    block = spec.get("blockSize", 26)
    if not isinstance(block, int) or not BLOCK_V4[0] <= block <= BLOCK_V4[1]:
        raise asm.error((*where, "blockSize"), f"error with field IPPool.Spec.BlockSize = "
                        f"'{block}' (IPv4 block size must be between 20 and 32)")
    if block < net.prefixlen:
        raise asm.error((*where, "blockSize"), f"error with field IPPool.Spec.BlockSize = "
                        f"'{block}' (block size must be at least the pool's prefix length "
                        f"/{net.prefixlen})")
    modes = {}
    for key, valid in MODES.items():
        mode = spec.get(key, "Never")
        if mode not in valid:
            raise asm.error((*where, key), f"error with field {key} = '{mode}'", ", ".join(valid))
        modes[key] = mode
    if modes["ipipMode"] != "Never" and modes["vxlanMode"] != "Never":
        raise asm.error((*where, "ipipMode"), f"error with field IPpool.IPIPMode = "
                        f"'{modes['ipipMode']}' (IPIPMode and VXLANMode cannot both be "
                        "enabled on the same IP pool)")
    return Pool(name, net, block, modes["ipipMode"], modes["vxlanMode"],
                bool(spec.get("natOutgoing", False)), bool(spec.get("disabled", False)))
