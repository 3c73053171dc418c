"""Reporters: turn a finished run into files (results.json, JUnit XML) and terminal text."""
