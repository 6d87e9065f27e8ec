"""Dialogue logic behind the Rasa custom actions, kept here so it is tested without Rasa."""
