"""Almanac HTTP API."""
