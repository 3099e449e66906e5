"""How each event is scored: one module per event id, loaded on demand.

Each scoring module (``mlp_sprint``, ``cnn_marathon``, ``transformer_decathlon``) has
``prepare(data_folder) -> data`` and ``run(sandbox, data, rng, limits) -> Outcome``; what each
event is (its API, metrics, threshold) is in ``scorer.contract.events``.
"""

import importlib


def module(event_id: str):
    """The scoring module of an event (imported on demand: each loads its own dataset)."""
    return importlib.import_module(f"{__name__}.{event_id}")
