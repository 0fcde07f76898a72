"""cflexagent: one-binary monitoring agent (probes, logs to Loki, cPanel storage scans, /metrics)."""

__version__ = "0.1.0"
