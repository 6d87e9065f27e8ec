"""Intent recognition logic that Rasa's custom NLU components (components/) wrap."""
