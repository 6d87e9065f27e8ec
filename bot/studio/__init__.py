"""The editors' studio: review inbox, training data, articles, train and publish."""
