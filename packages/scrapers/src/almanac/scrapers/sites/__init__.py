"""Adapters for particular sites, built on the platform adapters where those fit."""
