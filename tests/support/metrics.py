"""Reading a `/metrics` answer as Prometheus would, whatever the order of the labels."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def samples(exposition: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample, by (name, labels)."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }


def value(exposition: str, name: str, **labels: str) -> float | None:
    """The sample of that name with exactly those labels; None if there is none."""
    return samples(exposition).get((name, frozenset(labels.items())))
