"""TorchIO's random transforms, made cheaper where the pipeline's crops showed the cost.

Each class keeps TorchIO's arguments and draws the same random numbers in the same order,
so a seeded run augments the same way; only the work after the draw changes.
``bias_field`` keeps the field's polynomial basis between draws; ``affine`` and ``motion``
resample every channel of an image in one torch call (``resample``) instead of one
SimpleITK filter per channel; ``noise`` draws from its own seeded generator instead of
reseeding torch's global one. ``tests/transforms`` compares each with TorchIO's.
"""
