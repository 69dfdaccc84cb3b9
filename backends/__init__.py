"""Backends for ggsched: the registry, and the built-in cpu, opencl and ggml backends."""
