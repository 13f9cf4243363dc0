"""wopr: an LSTM that plays tic-tac-toe, trained in PyTorch and run anywhere from a knowledge file."""
__version__ = '0.1.0'
