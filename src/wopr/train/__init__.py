"""The NNDK: minimax solver, datasets, the PyTorch model, training loop and export (torch is imported lazily)."""
