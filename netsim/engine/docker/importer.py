"""`netsim import docker`: a live engine's networks and containers as a scenario file, so a
user checks what already runs. Containers are written in creation order (the default
bridge hands out addresses in that order) and every user-network address as `ip:`, so a
round trip — import, then `netsim run --engine docker` — reproduces the same addresses.

What an engine cannot say is left out and said in a comment: what the apps listen on (only
netsim's own echo image tells; another image's ports come from netsim's image table).
"""

from __future__ import annotations

from netsim.engine.docker import apply

BUILT_IN = ("bridge", "host", "none")
SWARM_OWN = ("ingress", "docker_gwbridge")
DEFAULT_OPTIONS = {"com.docker.network.bridge.name", "com.docker.network.bridge.default_bridge",
                   "com.docker.network.bridge.enable_icc", "com.docker.network.bridge.enable_ip_masquerade",
                   "com.docker.network.bridge.host_binding_ipv4", "com.docker.network.driver.mtu"}


def scenario(client, name: str = "imported") -> dict:
    nets = [n.attrs for n in client.networks.list()]
    by_id = {n["Id"]: n["Name"] for n in nets}
    from netsim.runtime.docker.profiles import for_version

    out: dict = {"name": name, "docker": for_version(client.version()["Version"]),
                 "networks": {}, "containers": {}}
    for n in sorted(nets, key=lambda n: n["Created"]):
        if n["Name"] in BUILT_IN or n["Name"] in SWARM_OWN:
            continue
        out["networks"][n["Name"]] = network(n)
    ctrs = [client.api.inspect_container(c["Id"]) for c in client.api.containers(all=True)]
    names = {c["Id"]: c["Name"].lstrip("/") for c in ctrs}
    for c in sorted(ctrs, key=lambda c: c["Created"]):
        out["containers"][c["Name"].lstrip("/")] = container(c, names, by_id)
    if not out["networks"]:
        del out["networks"]
    return out


def network(n: dict) -> dict:
    spec: dict = {"driver": n["Driver"]}
    pools = (n.get("IPAM") or {}).get("Config") or []
    if pools:
        pool = pools[0]
        for key, field in (("Subnet", "subnet"), ("Gateway", "gateway"), ("IPRange", "ip_range")):
            if pool.get(key):
                spec[field] = pool[key]
        if pool.get("AuxiliaryAddresses"):
            spec["aux_addresses"] = dict(pool["AuxiliaryAddresses"])
    if n.get("Internal"):
        spec["internal"] = True
    opts = {k: v for k, v in (n.get("Options") or {}).items() if k not in DEFAULT_OPTIONS
            or (k == "com.docker.network.bridge.enable_icc" and v == "false")}
    for key in ("parent", "macvlan_mode", "ipvlan_mode"):
        if key in opts:
            spec["parent" if key == "parent" else "mode"] = opts.pop(key)
    if opts:
        spec["options"] = opts
    return spec


def container(c: dict, names: dict[str, str], nets: dict[str, str]) -> dict:
    hc, cfg = c["HostConfig"], c["Config"]
    spec: dict = {}
    mode = hc.get("NetworkMode") or "default"
    attached = c["NetworkSettings"]["Networks"] or {}
    if mode.startswith("container:"):
        spec["network"] = f"container:{names.get(mode.split(':', 1)[1], mode.split(':', 1)[1])}"
    elif mode in ("host", "none"):
        spec["network"] = mode
    else:
        first = "bridge" if mode == "default" else mode
        order = [first, *sorted(n for n in attached if n != first)]
        joined = {}
        for net in order:
            if net not in attached:
                continue
            ep = attached[net]
            entry: dict = {}
            if net != "bridge" and ep.get("IPAddress"):
                entry["ip"] = ep["IPAddress"]
            aliases = [a for a in ep.get("Aliases") or [] if a not in  # Docker's own ones
                       (c["Id"][:12], c["Name"].lstrip("/"), cfg.get("Hostname"))]
            if aliases:
                entry["aliases"] = aliases
            joined[net] = entry
        if list(joined) == ["bridge"] and not joined["bridge"]:
            pass  # the default: nothing to write
        elif len(joined) == 1 and not joined[order[0]]:
            spec["network"] = order[0]
        else:
            spec["networks"] = joined
    ports = []
    for key, binds in sorted((hc.get("PortBindings") or {}).items()):
        port, proto = key.split("/")
        for b in binds or []:
            host = ":".join(x for x in (b.get("HostIp"), b.get("HostPort")) if x)
            ports.append(f"{host}:{port}" + (f"/{proto}" if proto != "tcp" else "")
                         if host else port + (f"/{proto}" if proto != "tcp" else ""))
    if ports:
        spec["ports"] = ports
    if hc.get("PublishAllPorts"):
        spec["publish_all"] = True
    links = []
    for link in hc.get("Links") or []:  # the default bridge's: "/api:/web/service"
        target, alias = link.split(":")
        links.append(f"{target.lstrip('/')}:{alias.rsplit('/', 1)[-1]}")
    for ep in attached.values():  # a user network's: "api:service", in its endpoint
        links += [x for x in ep.get("Links") or [] if x not in links]
    if links:
        spec["links"] = links
    if cfg.get("Hostname") and cfg["Hostname"] != c["Id"][:12] and mode != "host" \
            and not mode.startswith("container:"):  # those take the host's, the target's
        spec["hostname"] = cfg["Hostname"]
    if hc.get("Dns"):
        spec["dns"] = list(hc["Dns"])
    listen = _echo_listens(cfg)
    if listen is not None:
        spec["listen"] = listen
    else:
        spec["image"] = cfg["Image"]
    return spec


def _echo_listens(cfg: dict) -> list[str] | None:
    """netsim's own image says what it listens on: its command line."""
    cmd = cfg.get("Cmd") or []
    if not cmd or cmd[0] != apply.ECHO:
        return None
    out = []
    for arg in cmd[1:]:
        proto, port, *ip = arg.split(":")
        out.append((f"{ip[0]}:" if ip else "") + f"{port}/{proto}")
    return out
