"""Cornerstone: a consortium blockchain whose application is Python on CometBFT."""
