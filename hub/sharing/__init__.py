"""Who receives what: the TLP 2.0 floor and (later) the publishers' sharing policies."""
