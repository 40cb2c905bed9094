"""Builds and reads the searchable index of the documents in docs/."""
