"""kube-proxy on every CNI node, as netsim plays it (as it plays flanneld and calico-node)."""
