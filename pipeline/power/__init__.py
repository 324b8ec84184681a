"""How much the kit can detect: planted effects in generated cohorts, the arms, the learning-curve fit."""
