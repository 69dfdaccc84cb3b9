"""The benchmark harness: the same work timed on every device side by side."""
