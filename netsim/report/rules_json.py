"""`netsim inspect --json`: each host's rules as the text `inspect` prints, and for
iptables-save its tables, chains (policy, rules in order) as data."""

from __future__ import annotations


def tables(text: str) -> dict[str, dict[str, dict]]:
    """iptables-save text -> {table: {chain: {"policy": "ACCEPT" | None, "rules": [...]}}}:
    a user chain's policy is None (iptables-save's "-"); a rule is its line after `-A CHAIN`."""
    out: dict[str, dict[str, dict]] = {}
    table: dict[str, dict] | None = None
    for line in text.splitlines():
        if line.startswith("*"):
            table = out.setdefault(line[1:], {})
        elif table is None or not line or line.startswith(("#", "COMMIT")):
            continue
        elif line.startswith(":"):
            name, policy = line[1:].split()[:2]
            table[name] = {"policy": None if policy == "-" else policy, "rules": []}
        elif line.startswith("-A "):
            _, chain, *rest = line.split(" ", 2)
            table.setdefault(chain, {"policy": None, "rules": []})["rules"].append(
                rest[0] if rest else "")
    return out


def hosts(lab: str, texts: dict[str, str], nft: bool) -> dict:
    return {"lab": lab, "format": "nft" if nft else "iptables-save",
            "hosts": {h: {"text": t, **({} if nft else {"tables": tables(t)})}
                      for h, t in texts.items()}}
