"""Stage ``model_card``: ``outputs/final/model_card.md`` beside the final model.

A stage of its own because the card needs the LOOCV and external figures, and the stages
that write those come before and after the final model.
"""

from __future__ import annotations

from pipeline import formats
from pipeline.final.card import model_card
from pipeline.formats import paths


def main() -> None:
    """Writes the card from the model file and the metrics files."""
    settings = formats.read_model(paths.FINAL_MODEL)["settings"]
    formats.write_text(paths.MODEL_CARD, model_card(settings, settings["training"]["network"],
                                                    formats.read_metrics(paths.LOOCV_METRICS),
                                                    formats.read_metrics(paths.EXTERNAL_METRICS)))
    print(f"wrote {paths.MODEL_CARD}")


if __name__ == "__main__":
    main()
