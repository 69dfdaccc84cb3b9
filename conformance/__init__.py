"""The conformance suite: validates any registered backend against the numpy golden."""
