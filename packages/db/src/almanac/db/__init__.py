"""Almanac's PostgreSQL layer: models, sessions, queries and migrations."""
