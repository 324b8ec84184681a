"""Training one network: the MONAI model, the LightningModule, data and augmentation, the fit."""
