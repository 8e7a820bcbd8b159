"""netsim as the CNI runtime: a conflist's plugins executed as the CNI spec says.

"Execution of Network Configurations": for ADD (then CHECK), each plugin in order gets its
own object plus `name`, `cniVersion`, the previous plugin's result as `prevResult`, and
`runtimeConfig` — the
capabilities it declares that the runtime has arguments for (`portMappings`, `ips`, ...);
DEL runs them in reverse with the ADD result as `prevResult`. The environment carries
CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS and CNI_PATH. A plugin runs in
the runtime's own networking domain: here the node's namespace (a child process inherits the
namespace of the thread that starts it), never the machine's. host-local keeps its state in
the lab's directory, never /var/lib/cni.
"""

from __future__ import annotations

import copy
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from netsim.errors import EnvironmentProblem
from netsim.model.graph import ToolRun
from netsim.realize import sandbox
from netsim.realize.tools import Said, ToolContext, ToolRefused
from netsim.runtime.cni.context import runtime_config

TOOL = "cni"  # the runner's key in the CNI runtime's `tools`
PLUGIN_DIR = Path("/usr/lib/cni")  # Debian's containernetworking-plugins
PACKAGE = "containernetworking-plugins"
TIMEOUT = 30.0
CHECKLESS = ("0.1.0", "0.2.0", "0.3.0", "0.3.1")  # versions before CHECK existed
# (plugin, words its CHECK error starts with, a plugin that must follow it in the chain or
# None) -> the upstream bug it is: a warning, not a finding
KNOWN_BUGS = {
    ("portmap", "could not check ipv6 dnat", None): "containernetworking/plugins#819: "
    "portmap's CHECK looks for IPv6 DNAT rules that are not the ones its ADD wrote (fixed "
    "after 1.1.1)",
    ("bridge", "Failed to find", "sbr"): "containernetworking/plugins#297: sbr moved the "
    "routes the bridge plugin's CHECK looks for into its own table",
    ("ptp", "Failed to find", "sbr"): "containernetworking/plugins#297: sbr moved the routes "
    "the ptp plugin's CHECK looks for into its own table",
}


def known_bug(e: PluginError, chain: list[str]) -> str | None:
    """`chain`: the conflist's plugin types in order."""
    later = chain[chain.index(e.plugin) + 1:] if e.plugin in chain else []
    return next((why for (plugin, words, after), why in KNOWN_BUGS.items()
                 if e.plugin == plugin and e.msg.startswith(words)
                 and (after is None or after in later)), None)


class PluginError(Exception):
    """A plugin's error result `{code, msg, details}`, with the plugin that gave it."""

    def __init__(self, plugin: str, code: int, msg: str, details: str = ""):
        super().__init__(f"{plugin}: {msg}" + (f" ({details})" if details else ""))
        self.plugin, self.code, self.msg, self.details = plugin, code, msg, details


def plugin_conf(conflist: dict, plugin: dict, prev: dict | None, args: dict,
                state_dir: Path) -> dict:
    conf = copy.deepcopy(plugin)
    conf["name"] = conflist["name"]
    conf["cniVersion"] = conflist.get("cniVersion", "1.0.0")
    if prev is not None:
        conf["prevResult"] = prev
    rc = runtime_config(plugin, args)
    if rc:
        conf["runtimeConfig"] = rc
    ipam = conf.get("ipam")
    if isinstance(ipam, dict) and ipam.get("type") == "host-local":
        ipam["dataDir"] = str(state_dir / "host-local")  # per lab: never /var/lib/cni
    return conf


def add(conflist: dict, container_id: str, netns: str, ifname: str, node_ns: str,
        args: dict, state_dir: Path, prev: dict | None = None) -> dict:
    """ADD the container to the network: every plugin in order; the last result. `prev`:
    the result of the plugins before these that netsim played (calico)."""
    result: dict | None = prev
    for plugin in conflist["plugins"]:
        conf = plugin_conf(conflist, plugin, result, args, state_dir)
        result = _exec(plugin["type"], "ADD", conf, container_id, netns, ifname, node_ns)
    return result or {}


def check(conflist: dict, container_id: str, netns: str, ifname: str, node_ns: str,
          args: dict, state_dir: Path, result: dict) -> None:
    """CHECK (CNI 0.4.0 and later): every plugin in order, each given the ADD result as
    prevResult, verifies what it made is still there; the first complaint is raised."""
    if conflist.get("cniVersion", "1.0.0") in CHECKLESS:
        return
    for plugin in conflist["plugins"]:
        conf = plugin_conf(conflist, plugin, result, args, state_dir)
        _exec(plugin["type"], "CHECK", conf, container_id, netns, ifname, node_ns)


def delete(conflist: dict, container_id: str, netns: str, ifname: str, node_ns: str,
           args: dict, state_dir: Path, result: dict | None) -> None:
    """DEL: every plugin in reverse order, each given the ADD result."""
    for plugin in reversed(conflist["plugins"]):
        conf = plugin_conf(conflist, plugin, result, args, state_dir)
        _exec(plugin["type"], "DEL", conf, container_id, netns, ifname, node_ns)


def binary(plugin_type: str) -> Path:
    path = PLUGIN_DIR / plugin_type
    if not path.is_file():
        raise EnvironmentProblem(f'failed to find plugin "{plugin_type}" in path '
                                 f"[{PLUGIN_DIR}]", f"apt-get install {PACKAGE}")
    return path


def _exec(plugin_type: str, command: str, conf: dict, container_id: str, netns: str,
          ifname: str, node_ns: str) -> dict:
    exe = binary(plugin_type)
    env = {"CNI_COMMAND": command, "CNI_CONTAINERID": container_id,
           "CNI_NETNS": str(sandbox.NETNS_DIR / netns), "CNI_IFNAME": ifname, "CNI_ARGS": "",
           "CNI_PATH": str(PLUGIN_DIR), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}

    def run() -> subprocess.CompletedProcess:
        with sandbox.in_netns(node_ns):
            return subprocess.run([str(exe)], input=json.dumps(conf), capture_output=True,
                                  text=True, env=env, timeout=TIMEOUT)

    try:
        done = sandbox.in_thread(run)
    except subprocess.TimeoutExpired:
        raise PluginFault(f'the {plugin_type} plugin did not answer {command} within '
                          f"{TIMEOUT:.0f} s (killed)", f"{exe} hangs: reinstall {PACKAGE}") \
            from None
    out = done.stdout.strip()
    if done.returncode != 0:
        raise _error(plugin_type, command, out, done.stderr)
    try:
        result = json.loads(out) if out else {}
    except json.JSONDecodeError:
        result = None
    if not isinstance(result, dict) or not _ips_ok(result.get("ips", [])):
        raise PluginFault(f"the {plugin_type} plugin answered {command} with exit 0 and "
                          "no CNI result (a JSON object, its ips a list of {address})",
                          f"{exe} is not a CNI plugin of {PACKAGE}: reinstall it")
    return result


class PluginFault(EnvironmentProblem):
    """A plugin that hangs or answers what no CNI plugin answers: the machine's plugin, not
    the scenario, is wrong (exit 3)."""


def _error(plugin_type: str, command: str, out: str, stderr: str) -> PluginError:
    """The spec's error result {code: int, msg, details}: the plugin refused. Anything else
    on a failed exit (a crash, a panic, garbage) is the plugin's fault, said as it came."""
    try:
        err = json.loads(out)
    except json.JSONDecodeError:
        err = None
    code = err.get("code") if isinstance(err, dict) else None
    if not isinstance(code, int) or isinstance(code, bool):
        said = " ".join((stderr or out or "no output").split())[:300]
        raise PluginFault(f"the {plugin_type} plugin failed {command} without a CNI error "
                          f"result: {said}", f"reinstall {PACKAGE}")
    return PluginError(plugin_type, code, str(err.get("msg", "")), str(err.get("details", "")))


def _ips_ok(ips: object) -> bool:
    return isinstance(ips, list) and all(
        isinstance(ip, dict) and isinstance(ip.get("address"), str) for ip in ips)


@dataclass
class PluginRun(ToolRun):
    """One container's ADD: the conflist as the plugins run it (a delegate's conf when the
    flannel type delegates), the runtime's arguments, the addresses the model expects."""

    ns: str = ""  # the pod's namespace
    ifname: str = "eth0"
    conflist: dict = field(default_factory=dict)
    args: dict = field(default_factory=dict)  # runtimeConfig by capability (portMappings)
    expected_ips: list[str] = field(default_factory=list)
    ipv6: bool = False  # the model holds the IPv6 addresses too (else IPv4 is compared)
    prev: dict | None = None  # what netsim's part of the chain gave (calico): their prevResult


class PluginRefused(ToolRefused):
    """A real CNI plugin refused the configuration (exit 2): its own {code, msg}."""


def run(step: ToolRun, ctx: ToolContext) -> Said:
    """One container's ADD by the real plugins, then CHECK; the addresses they gave against
    the model's (both families where the model holds IPv6, else IPv4)."""
    assert isinstance(step, PluginRun)
    said = Said()
    state = ctx.files / "cni" / step.node
    where = (step.container, ctx.names[step.ns], step.ifname, ctx.names[step.node], step.args,
             state)
    try:
        got = add(step.conflist, *where, prev=step.prev)
    except PluginError as e:
        raise PluginRefused(f"the {e.plugin} plugin refused {step.container} on "
                            f"{step.conflist['name']}: {{\"code\": {e.code}, \"msg\": "
                            f"\"{e.msg}\"}}" + (f" ({e.details})" if e.details else "")) from None
    try:
        check(step.conflist, *where, got)
    except PluginError as e:
        words = f"{step.container}: CHECK by the {e.plugin} plugin failed right after ADD: {e.msg}"
        bug = known_bug(e, [p["type"] for p in step.conflist["plugins"]])
        if bug:
            said.warnings.append(("CHECK", f"{words} — known bug {bug}"))
        else:
            said.findings.append(words)
    real = [ip["address"] for ip in got.get("ips", []) if step.ipv6 or ":" not in ip["address"]]
    if real != step.expected_ips:
        said.findings.append(f"{step.container}: the {step.conflist['name']} plugins gave "
                             f"{', '.join(real) or 'no address'}, the model predicted "
                             f"{', '.join(step.expected_ips) or 'none'}")
    return said


TOOLS = {TOOL: run}
