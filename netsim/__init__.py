"""netsim: see and prove how Docker container networking behaves."""

__version__ = "0.1.0"
