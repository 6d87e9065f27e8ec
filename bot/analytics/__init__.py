"""Analytics for team leads: conversation facts kept as the desk writes, and the report over them."""
