"""From raw images to cached tensors: one patient's TorchIO chain and the loop over a cohort."""
