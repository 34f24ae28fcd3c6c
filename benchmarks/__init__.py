"""Quality and speed harness of Intent Arena: ``python -m benchmarks`` prints the figures."""
