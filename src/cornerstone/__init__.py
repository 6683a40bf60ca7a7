"""Cornerstone: a consortium blockchain whose application is Python on CometBFT."""

__version__ = "0.1.0"
