"""Almanac's shared ground: settings, domain types and the exception tree."""
