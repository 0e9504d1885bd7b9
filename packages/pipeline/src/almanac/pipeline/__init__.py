"""Almanac use-cases: fetch, parse, ingest and record a run of a source."""
