"""Training: rendered-clip data, the three stages (init, dkd, qat), checkpoints."""
