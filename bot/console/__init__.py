"""The agent console: accounts, sessions and the API the console page uses."""
