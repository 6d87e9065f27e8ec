"""What an agent reads in ten seconds when a conversation reaches them (extractive only)."""

from bot.summary.build import ArticleTried, Line, build_summary

__all__ = ["ArticleTried", "Line", "build_summary"]
