"""TAXII 2.1 protocol: discovery, API root, collections, objects, manifest, versions, status."""
