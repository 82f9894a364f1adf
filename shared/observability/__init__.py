"""What an operator on call sees: Prometheus metrics (`metrics`), W3C trace context through HTTP and
the events (`tracing`), and the log records' request and trace ids (`shared/logs.py`).

Nothing is imported here, so that the event models can import `tracing` without pulling in the
metrics' dependencies on the runtime.
"""
