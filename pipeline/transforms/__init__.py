"""TorchIO's random transforms, made cheaper where the pipeline's crops showed the cost.

Each class keeps TorchIO's arguments and draws the same random numbers in the same order,
so a seeded run augments the same way; only the work after the draw changes.
``bias_field`` keeps the field's polynomial basis between draws; ``affine`` and ``motion``
resample every channel of an image in one torch call (``resample``) instead of one
SimpleITK filter per channel; ``noise`` draws from its own seeded generator instead of
reseeding torch's global one. ``tests/transforms`` compares each with TorchIO's.
"""


def per_image(drawn: dict[str, tuple]) -> list[dict]:
    """``{image name: (a, b, ...)}`` of a random transform's draws as ``[{name: a}, {name: b},
    ...]``: the per-image argument dicts of the transform that applies them."""
    return [dict(zip(drawn, values)) for values in zip(*drawn.values())]
