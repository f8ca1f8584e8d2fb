"""The shared core: what serving (`app`) and training (`training`) both stand on.

The input contract, the model card (`metrics.json`), the LiteRT runtime and the cascade rule.
Importing it loads neither FastAPI nor TensorFlow, and it imports neither `app` nor `training`.
"""
