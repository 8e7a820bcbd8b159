"""Calico on CNI nodes: calico-ipam, the calico plugin, calico-node (felix, BIRD)."""
