"""The events of the competition: their specs (``spec``) and how each is scored.

Each scoring module (``mlp_sprint``, ``cnn_marathon``, ``transformer_decathlon``) has
``prepare(data_folder) -> data`` and ``run(sandbox, data, rng, limits) -> Outcome``.
"""

import importlib

from scorer.events.spec import EVENT_IDS, EVENTS, Event, Metric


def module(event_id: str):
    """The scoring module of an event (imported on demand: each loads its own dataset)."""
    return importlib.import_module(f"scorer.events.{event_id}")


__all__ = ["EVENTS", "EVENT_IDS", "Event", "Metric", "module"]
