"""What the dashboard and the report share: results tables, wording, figures, DVC experiments."""
