"""Prometheus metrics: request counts and latency by route, GraphQL operations by outcome."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

REGISTRY = CollectorRegistry()

HTTP_REQUESTS = Counter(
    "pdex_http_requests_total", "HTTP requests", ["route", "status"], registry=REGISTRY
)
HTTP_LATENCY = Histogram(
    "pdex_http_request_seconds",
    "HTTP request latency",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    registry=REGISTRY,
)


def render() -> bytes:
    return generate_latest(REGISTRY)
