"""Insight: summaries for portals and the critical indicators a region or authority keeps.

Reads the other domains' tables (never writes them); nothing imports insight."""
