"""Family `recurrent` of the catalog: LSTM, GRU, Elman RNN and SRU layers and cells, and the
TensorFlow-style drivers that run a cell object over a sequence."""

from nnfunc.functions.recurrent._cells import gru_cell, lstm_cell, sru_cell
from nnfunc.functions.recurrent._sequence import gru, lstm, lstm_block, rnn, sru

__all__ = [
    "gru",
    "gru_cell",
    "lstm",
    "lstm_block",
    "lstm_cell",
    "rnn",
    "sru",
    "sru_cell",
]
