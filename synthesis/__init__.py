"""Every image this project generates, for training, tests and benchmarks, made in one place.

`fonts` names the font files digits may be typed in (a fixed list, split by family into training
and validation), `typed` and `hands` draw digits beyond MNIST (typed; other hands: strokes, slant,
elastic distortion, low resolution) and `kinds` makes uploads of them, `nondigits` draws what
holds no digit, `numbers` composes numbers (spaced, touching, with separators), `uploads` puts
MNIST digits in the fixed styles the tests read, and `styles` puts any ink map on paper, a
canvas, a phone photo or a screen, encoded as people upload it.
"""
