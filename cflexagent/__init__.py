"""cflexagent: one-binary monitoring agent (probes, logs to Loki, cPanel storage, alert relay, bundled configs)."""

__version__ = "0.1.0"
