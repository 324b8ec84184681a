"""The final model: trained on every included patient, saved with what it needs to score new ones."""
