"""Key material and cryptography. Knows no STIX and no HTTP."""
