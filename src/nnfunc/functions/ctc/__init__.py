"""Family `ctc` of the catalog: the CTC loss and the greedy and beam-search decoders."""

from nnfunc.functions.ctc._decode import ctc_beam_search_decoder, ctc_decode, ctc_greedy_decoder
from nnfunc.functions.ctc._loss import ctc_loss

__all__ = ["ctc_beam_search_decoder", "ctc_decode", "ctc_greedy_decoder", "ctc_loss"]
