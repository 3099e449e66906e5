"""The events of the competition: their specs (``spec``) and how each is scored."""

from scorer.events.spec import EVENT_IDS, EVENTS, Event, Metric

__all__ = ["EVENTS", "EVENT_IDS", "Event", "Metric"]
