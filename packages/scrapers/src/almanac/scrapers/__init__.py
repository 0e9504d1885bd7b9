"""Almanac parsers: bytes and a URL in, events out; no network, no database."""
