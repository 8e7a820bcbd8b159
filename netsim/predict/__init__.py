"""Prediction: the packet walk over the model, netfilter, twins and the class matrix."""
