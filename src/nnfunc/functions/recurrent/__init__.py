"""Family `recurrent` of the catalog: LSTM, GRU, Elman RNN and SRU layers and cells, and the
TensorFlow-style drivers that run a cell object over a sequence."""

from nnfunc.functions.recurrent._cells import gru_cell, lstm_cell, sru_cell
from nnfunc.functions.recurrent._drivers import (
    bidirectional_dynamic_rnn,
    dynamic_rnn,
    raw_rnn,
    state_saving_rnn,
    static_bidirectional_rnn,
    static_rnn,
)
from nnfunc.functions.recurrent._sequence import gru, lstm, lstm_block, rnn, sru

__all__ = [
    "bidirectional_dynamic_rnn",
    "dynamic_rnn",
    "gru",
    "gru_cell",
    "lstm",
    "lstm_block",
    "lstm_cell",
    "raw_rnn",
    "rnn",
    "sru",
    "sru_cell",
    "state_saving_rnn",
    "static_bidirectional_rnn",
    "static_rnn",
]
