"""Messaging channels: each adapter verifies, parses, hands the text to the desk's router and
delivers the replies through the durable outbox."""
