"""Fusion Hub: a multi-tenant STIX 2.1 / TAXII 2.1 hub for counter-terrorism fusion cells."""

__version__ = "0.1.0"
__all__ = ["__version__"]
