"""Phase 5, cost of each layer: ingest with a layer off and on (encryption, audit, ...).

A layer is switched either by a boolean `hub.settings.Settings` field (one of the `switches`
names below; the first that exists is used) or, for the sharing policies, by the policy set the
world starts with: "off" = no policies (every publisher shares only TLP:CLEAR), "on" = the
example policies of policies/. A layer with neither reads n/a. Everything not being measured
stays as in the ingest phase: example policies, field encryption on, audit trail on.

Each publisher's client makes one untimed request first, so the one-off verification of its
secret (scrypt, ~0.2 s) is in neither figure of a ratio. The audit trail's switch is
`Settings.audit_trail` (HUB_AUDIT_TRAIL, development only): off, a publish leaves no audit
entry in its transaction (reads and deletes none either; this phase times publishing).
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from bench.common import NATIONAL_CELLS, Config, client, database, envelopes, hub_world, serve_hub
from bench.ingest import post_all
from bench.report import Results, Row
from hub.settings import Settings

__all__ = ["LAYERS", "Layer", "run"]

PHASE = "layers"


@dataclass(frozen=True)
class Layer:
    """A layer of the publish path and the Settings switches that may turn it off and on."""

    name: str
    switches: tuple[str, ...]
    #: (off, on) policy sets of the world (bench.common.POLICY_SETS), when policies are the layer
    policy_sets: tuple[str, str] | None = None


LAYERS = (
    Layer("field encryption", ("field_encryption", "encryption_enabled", "encrypt_fields")),
    Layer("audit trail", ("audit_enabled", "audit", "audit_trail")),
    Layer(
        "sharing policies",
        ("policies_enabled", "sharing_policies"),
        policy_sets=("none", "example"),
    ),
)


def _switch(layer: Layer) -> str | None:
    fields = Settings.model_fields
    for name in layer.switches:
        f = fields.get(name)
        if f is not None and f.annotation is bool:
            return name
    return None


def run(cfg: Config, results: Results) -> None:
    """Objects/s with each layer off and on (envelopes of 1,000), or n/a."""
    backend = cfg.backends[0]
    count = max(1_000, cfg.ingest_objects // 2)
    for layer in LAYERS:
        switch = _switch(layer)
        if switch is None and layer.policy_sets is None:
            results.add(
                Row(
                    PHASE,
                    "hub",
                    backend,
                    f"{layer.name} off/on: ingest objects/s ratio",
                    None,
                    "x",
                    note=f"n/a: no Settings switch ({' / '.join(layer.switches)}) yet",
                )
            )
            continue
        rates: dict[bool, float] = {}
        for on in (False, True):
            envs = envelopes(count, 1000, seed=cfg.seed + 77)
            bodies = [(s, orjson.dumps({"objects": o}), len(o)) for s, o in envs]
            settings: dict[str, bool] = {switch: on} if switch else {}
            if switch:
                how = f"Settings.{switch}={on}"
                policies = "example"
            else:
                assert layer.policy_sets is not None
                policies = layer.policy_sets[on]
                how = f"policies: {policies}"
            with (
                database(backend, cfg) as db,
                hub_world(
                    db,
                    cfg,
                    NATIONAL_CELLS,
                    policies=policies,
                    field_encryption=settings.get("field_encryption", True),
                ) as world,
                serve_hub(world, **settings) as (url, _cache),
            ):
                path = f"/taxii2/hub/collections/{world.collection_id()}/objects/"
                clients = {s: client(url, world.creds[s]) for s in NATIONAL_CELLS}
                try:
                    for c in clients.values():  # each client's one scrypt check: not timed
                        c.get("/taxii2/").raise_for_status()
                    out = post_all(clients, path, bodies, budget_s=300)
                finally:
                    for c in clients.values():
                        c.close()
            rates[on] = out["stored"] / out["seconds"]
            results.add(
                Row(
                    PHASE,
                    "hub",
                    backend,
                    f"{layer.name} {'on' if on else 'off'}: ingest, envelopes of 1,000",
                    rates[on],
                    "objects/s",
                    n=out["stored"],
                    note=how,
                )
            )
        results.add(
            Row(
                PHASE,
                "hub",
                backend,
                f"{layer.name} off/on: ingest objects/s ratio",
                rates[False] / rates[True] if rates[True] else None,
                "x",
                note="cost of the layer (1.0 = free)",
            )
        )
