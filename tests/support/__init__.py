"""Helpers shared by Almanac's tests: a local HTTP server, processes, ports."""
