"""Custom Rasa NLU components (config.yml names them): thin adapters over bot.encoder and bot.nlu."""
