"""Sentiment and frustration scores for every customer message (escalation's inputs)."""
