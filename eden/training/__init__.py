"""Training with Lightning: the baseline on reliable memory and curricular retraining under errors."""
