"""STIX objects in collections: publishing (ingest) and reading, independent of HTTP."""
