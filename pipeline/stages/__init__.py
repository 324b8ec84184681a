"""The pipeline's stages, one module each, run by DVC (``dvc.yaml``; ``power`` by
``power/dvc.yaml``) as ``python -m pipeline.stages.<name>``.

Each is a short ``main()`` that reads params once and passes plain values to the library
modules of ``pipeline``. A stage never imports another stage: what one needs from
another comes through the files it wrote (``pipeline.formats.paths``, ``pipeline.formats``).
"""
