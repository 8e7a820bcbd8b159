"""flanneld, as netsim plays it on every CNI node (leases, subnet.env, the backend's links and
routes, its iptables rules); the `flannel` CNI plugin is `plugins/flannel.py`."""
