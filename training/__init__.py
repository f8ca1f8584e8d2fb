"""Offline training for the digit-recognition service: data, models, training, evaluation."""
