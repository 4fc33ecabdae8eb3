"""samediff.rnn ops (seed 002): gru, lstmCell, lstmLayer, lstmblock, sru, sruCell.

Each op takes SameDiff's argument order, with the optional leading ``String name`` of the
``SDVariable`` overloads (also accepted as ``name=``), and returns what the catalog row says:
a list of arrays in the documented order, or one array. They translate to the canonical
functions (:func:`nnfunc.lstm`, :func:`nnfunc.lstm_cell`, :func:`nnfunc.gru_cell`,
:func:`nnfunc.sru`, :func:`nnfunc.sru_cell`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.compat.samediff.rnn._core import (
    GRUWeights,
    LSTMConfiguration,
    LSTMDataFormat,
    LSTMDirectionMode,
    LSTMLayerConfig,
    LSTMLayerWeights,
    LSTMWeights,
    SRUWeights,
)
from nnfunc.core import check
from nnfunc.core.shapes import node_errors
from nnfunc.errors import ArgumentError, DTypeError, ShapeError
from nnfunc.functions.recurrent._common import as_tensor, check_lengths_values

__all__ = ["gru", "lstmCell", "lstmLayer", "lstmblock", "sru", "sruCell"]

_LAYOUT = {"TNS": "TBF", "NST": "BFT", "NTS": "BTF", "T2NS": "TBF"}
# (time, feature, batch) axes of each layout
_AXES = {"TBF": (0, 2, 1), "BTF": (1, 2, 0), "BFT": (2, 1, 0)}
_ACTS = {
    "TANH": "tanh",
    "RELU": "relu",
    "SIGMOID": "sigmoid",
    "AFFINE": "affine",
    "LEAKY_RELU": "leaky_relu",
    "THRESHHOLD_RELU": "thresholded_relu",
    "SCALED_TAHN": "scaled_tanh",
    "HARD_SIGMOID": "hard_sigmoid",
    "ELU": "elu",
    "SOFTSIGN": "softsign",
    "SOFTPLUS": "softplus",
}


def _args(op: str, args: tuple, name: Any, counts: tuple[int, ...]) -> tuple[tuple, Any]:
    """Strip a leading ``String name``; check the number of positional arguments."""
    if args and isinstance(args[0], str):
        if name is not None:
            raise ArgumentError(check.message(op, "name", "be given once", name=args[0]))
        name, args = args[0], args[1:]
    if len(args) not in counts:
        want = " or ".join(str(c) for c in counts)
        if name is not None and any(getattr(a, "_is_symbolic", False) for a in args):
            op = f"{op} (node {name!r})"
        raise ArgumentError(
            check.message(
                op, "number of arguments", f"be {want} (besides the name)", count=len(args)
            )
        )
    return args, name


def _obj(op: str, arg: str, value: Any, cls: type) -> Any:
    if not isinstance(value, cls):
        raise DTypeError(
            check.message(op, arg, f"be a {cls.__name__}", **{arg: type(value).__name__})
        )
    return value


def _shape(op: str, field: str, t: Any, want: tuple, why: str) -> Any:
    t = as_tensor(op, field, t)
    got = tuple(t.shape)
    ok = len(got) == len(want) and all(
        a is None or b is None or a == b for a, b in zip(got, want, strict=True)
    )
    if not ok:
        w = (
            "("
            + ", ".join("?" if d is None else str(d) for d in want)
            + ("," if len(want) == 1 else "")
            + ")"
        )
        raise ShapeError(
            check.message(op, field, f"have shape {w} ({why})", **{f"{field}.shape": got})
        )
    return t


def _sequence(op: str, x: Any, fmt: str) -> Any:
    """``x`` as a tensor of rank 3 (``fmt``: its data format, for the message)."""
    x = as_tensor(op, "x", x)
    if len(x.shape) != 3:
        raise ShapeError(
            check.message(op, "x", f"have rank 3 ({fmt})", **{"x.shape": tuple(x.shape)})
        )
    return x


def _lengths(op: str, m: Any, t_len: Any) -> Any:
    if m is None:
        return None
    m = as_tensor(op, "maxTSLength", m)
    if np.dtype(m.dtype).kind not in "iuf":
        raise DTypeError(
            check.message(
                op, "maxTSLength", "have a numeric dtype", **{"maxTSLength.dtype": m.dtype}
            )
        )
    if len(m.shape) != 1:
        raise ShapeError(
            check.message(op, "maxTSLength", "have rank 1", **{"maxTSLength.shape": tuple(m.shape)})
        )
    if isinstance(m, np.ndarray):
        if m.dtype.kind == "f" and (not np.all(np.isfinite(m)) or np.any(m != np.round(m))):
            raise ArgumentError(
                check.message(op, "maxTSLength", "hold whole numbers", maxTSLength=m)
            )
        if t_len is not None:
            check_lengths_values(op, "maxTSLength", m.astype(np.int64), t_len)
        return m.astype(np.int64)
    return m if np.dtype(m.dtype).kind in "iu" else F.cast(m, np.int64)


# ------------------------------------------------------------------------------- lstmLayer
def lstmLayer(*args: Any, name: str | None = None) -> list[Any]:
    """Long Short-Term Memory layer (Hochreiter 1997) over a whole sequence.

    Overloads: ``lstmLayer([name,] x, cLast, yLast, maxTSLength, LSTMLayerWeights,
    LSTMLayerConfig)`` and ``lstmLayer([name,] x, LSTMLayerWeights, LSTMLayerConfig)``.

    Args:
        x: Input in the config's LSTMDataFormat: TNS ``[T, N, nIn]``, NST ``[N, nIn, T]``, NTS
            ``[N, T, nIn]``; T2NS takes ``[T, N, nIn]`` and returns ``[T, 2, N, nOut]``.
        cLast, yLast: Initial cell state / output ``[N, nOut]`` (``[2, N, nOut]`` when
            bidirectional), or None.
        maxTSLength: ``[N]`` lengths (outputs past a length are zero, the last state is taken
            at the length), or None.
        LSTMLayerWeights: inputWeights, recurrentWeights, biases, peepholeWeights.
        LSTMLayerConfig: options.
        name (str, optional): Node name prefix.

    Returns:
        list: those of ``[h, hLast, cLast]`` selected by retFullSequence / retLastH /
        retLastC, in that order. ``h`` has the data format's layout with ``nOut`` features
        (``2*nOut`` for BIDIR_CONCAT); ``hLast``/``cLast`` are ``[N, nOut]``
        (``[2, N, nOut]`` when bidirectional).

    Raises:
        ShapeError: a weight does not fit (the message names the field and what decides it).
        ArgumentError: T2NS without BIDIR_EXTRA_DIM or the reverse, maxTSLength outside
            ``[0, T]``, a wrong argument count.
        DTypeError: a weights or config argument of the wrong class.

    Examples:
        >>> from nnfunc.compat.samediff import rnn
        >>> w = rnn.LSTMLayerWeights(inputWeights=np.full((2, 12), 0.1),
        ...                          recurrentWeights=np.zeros((3, 12)))
        >>> cfg = rnn.LSTMLayerConfig(LSTMDataFormat="NTS", retLastH=True)
        >>> h, hLast = rnn.lstmLayer(np.ones((4, 5, 2)), w, cfg)
        >>> h.shape, hLast.shape
        ((4, 5, 3), (4, 3))
    """
    op = "lstmLayer"
    args, name = _args(op, args, name, (3, 6))
    if len(args) == 3:
        x, weights, config = args
        c_last = y_last = max_len = None
    else:
        x, c_last, y_last, max_len, weights, config = args
    with node_errors(name, x, c_last, y_last, max_len):
        weights = _obj(op, "LSTMLayerWeights", weights, LSTMLayerWeights)
        config = _obj(op, "LSTMLayerConfig", config, LSTMLayerConfig)
        fmt, mode = config.LSTMDataFormat, config.LSTMDirectionMode
        if (fmt is LSTMDataFormat.T2NS) != (mode is LSTMDirectionMode.BIDIR_EXTRA_DIM):
            raise ArgumentError(
                check.message(
                    op,
                    "LSTMDataFormat T2NS",
                    "go with LSTMDirectionMode BIDIR_EXTRA_DIM (and BIDIR_EXTRA_DIM with T2NS)",
                    LSTMDataFormat=fmt.name,
                    LSTMDirectionMode=mode.name,
                )
            )
        layout = _LAYOUT[fmt.name]
        x = _sequence(op, x, f"LSTMDataFormat {fmt.name}")
        t_ax, f_ax, n_ax = _AXES[layout]
        n_in, batch, t_len = x.shape[f_ax], x.shape[n_ax], x.shape[t_ax]
        bidir = mode.value >= 2
        d = (2,) if bidir else ()
        why_d = f"LSTMDirectionMode {mode.name}" + (" is bidirectional" if bidir else "")
        wr = as_tensor(op, "recurrentWeights", weights.recurrentWeights)
        if len(wr.shape) != len(d) + 2:
            raise ShapeError(
                check.message(
                    op,
                    "recurrentWeights",
                    f"have rank {len(d) + 2} ({why_d})",
                    **{"recurrentWeights.shape": tuple(wr.shape)},
                )
            )
        n_out = wr.shape[-2]
        g4 = 4 * n_out
        _shape(
            op,
            "recurrentWeights",
            wr,
            (*d, n_out, g4),
            f"{why_d}; [nOut, 4*nOut] with nOut {n_out} (the seed's [nIn, 4*nOut] is a "
            "documentation error)",
        )
        wx = _shape(
            op,
            "inputWeights",
            weights.inputWeights,
            (*d, n_in, g4),
            f"{why_d}; nIn {n_in} from x, nOut {n_out} from recurrentWeights",
        )
        b = weights.biases
        if b is not None:
            b = _shape(op, "biases", b, (*d, g4), f"{why_d}; nOut {n_out} from recurrentWeights")
        p = weights.peepholeWeights
        if p is not None:
            p = _shape(
                op,
                "peepholeWeights",
                p,
                (*d, 3 * n_out),
                f"directionMode {mode.value} {'>=' if bidir else '<'} 2; "
                f"nOut {n_out} from recurrentWeights",
            )
        states = []
        for field, s in (("cLast", c_last), ("yLast", y_last)):
            if s is not None:
                s = _shape(
                    op,
                    field,
                    s,
                    (*d, batch, n_out),
                    f"{why_d}; batch from x, nOut {n_out} from recurrentWeights",
                )
                if bidir:
                    s = F.expand_dims(s, 0)
            states.append(s)
        c0, h0 = states
        lengths = _lengths(op, max_len, t_len)
        direction = "bidirectional" if bidir else ("reverse" if mode.value == 1 else "forward")
        merge = {2: "sum", 3: "concat", 4: "stack"}.get(mode.value, "concat")

        def act(a: Any, alpha: float, beta: float) -> tuple:
            return (_ACTS[a.name], alpha, beta)

        y, h_n, c_n = F.lstm(
            x,
            wx,
            wr,
            b,
            h0,
            c0,
            lengths=lengths,
            peephole=p,
            direction=direction,
            merge=merge,
            layout=layout,
            cell_clip=config.cellClip,
            gate_activation=act(config.gateAct, config.gateAlpha, config.gateBeta),
            cell_activation=act(config.cellAct, config.cellAlpha, config.cellBeta),
            output_activation=act(config.outAct, config.outAlpha, config.outBeta),
            name=name,
        )
    out = []
    if config.retFullSequence:
        out.append(y)
    for flag, s in ((config.retLastH, h_n), (config.retLastC, c_n)):
        if flag:
            out.append(F.getitem(s, 0) if bidir else F.getitem(s, (0, 0)))
    return out


# ------------------------------------------------------------------------------- lstmCell
def _lstm_weights(op: str, weights: LSTMWeights, config: LSTMConfiguration, n_in: Any) -> tuple:
    w = as_tensor(op, "ruWeight", weights.ruWeight)
    shape = tuple(w.shape)
    if (
        len(shape) != 2
        or shape[1] is None
        or shape[1] % 4
        or (None not in (shape[0], n_in) and shape[0] != n_in + shape[1] // 4)
    ):
        raise ShapeError(
            check.message(
                op,
                "ruWeight",
                f"have shape [(inSize + numUnits), 4*numUnits] with inSize {n_in} from x",
                **{"ruWeight.shape": shape},
            )
        )
    n = shape[1] // 4
    b = weights.bias
    if b is not None:
        b = _shape(op, "bias", b, (4 * n,), f"numUnits {n} from ruWeight")
    peeps = None
    if config.peepHole:
        peeps = []
        for field in ("inputPeepholeWeights", "forgetPeepholeWeights", "outputPeepholeWeights"):
            v = getattr(weights, field)
            if v is None:
                raise DTypeError(
                    check.message(
                        op,
                        field,
                        "be a tensor (LSTMConfiguration peepHole is True)",
                        **{field: None},
                    )
                )
            peeps.append(_shape(op, field, v, (n,), f"numUnits {n} from ruWeight"))
    return w, b, peeps, n


def lstmCell(*args: Any, name: str | None = None) -> list[Any]:
    """The LSTM cell: one time step (TF LSTMBlockCell).

    ``lstmCell([name,] x, cLast, yLast, LSTMWeights, LSTMConfiguration)``. Gate blocks of
    ruWeight (on ``concat(x, yLast)``) and bias: ``[i, z, f, o]``; peepholes when
    ``peepHole``; ``forgetBias``; ``clippingCellValue`` clips the cell state.

    Args:
        x: ``[batchSize, inSize]``.
        cLast: Previous cell state ``[batchSize, numUnits]`` (cell state BEFORE output).
        yLast: Previous cell output ``[batchSize, numUnits]`` (the seed's "revious").
        LSTMWeights, LSTMConfiguration: see the classes.
        name (str, optional): Node name.

    Returns:
        list: ``[i, c, f, o, z, h, y]`` (libnd4j lstmBlockCell): the activated gates, the new
        cell state ``c``, ``h = tanh(c)`` and the output ``y = o * h``, each
        ``[batchSize, numUnits]``.

    Raises:
        ShapeError: ruWeight is not ``[(inSize + numUnits), 4*numUnits]``, a state or
            peephole does not fit.

    Examples:
        >>> from nnfunc.compat.samediff import rnn
        >>> w = rnn.LSTMWeights(ruWeight=np.ones((3, 4)), bias=np.zeros(4))
        >>> out = rnn.lstmCell(np.ones((1, 2)), np.zeros((1, 1)), np.zeros((1, 1)), w,
        ...                    rnn.LSTMConfiguration())
        >>> [round(float(v[0, 0]), 4) for v in out]
        [0.8808, 0.8491, 0.8808, 0.8808, 0.964, 0.6906, 0.6083]
    """
    op = "lstmCell"
    (x, c_last, y_last, weights, config), name = _args(op, args, name, (5,))
    with node_errors(name, x, c_last, y_last):
        weights = _obj(op, "LSTMWeights", weights, LSTMWeights)
        config = _obj(op, "LSTMConfiguration", config, LSTMConfiguration)
        x = as_tensor(op, "x", x)
        if len(x.shape) != 2:
            raise ShapeError(
                check.message(
                    op, "x", "have rank 2 ([batchSize, inSize])", **{"x.shape": tuple(x.shape)}
                )
            )
        n_in = x.shape[1]
        w, b, peeps, n = _lstm_weights(op, weights, config, n_in)
        for field, s in (("cLast", c_last), ("yLast", y_last)):
            _shape(op, field, s, (x.shape[0], n), f"batch from x, numUnits {n} from ruWeight")
    w_x, w_h = F.getitem(w, slice(0, n_in)), F.getitem(w, slice(-n, None))
    peep = None if peeps is None else F.concatenate(*peeps, axis=0)
    y, c, i, f, g, o = F.lstm_cell(
        x,
        y_last,
        c_last,
        w_x,
        w_h,
        b,
        peephole=peep,
        forget_bias=config.forgetBias,
        cell_clip=config.clippingCellValue,
        gate_order="izfo",
        return_gates=True,
    )
    return [i, c, f, o, g, F.tanh(c), y]


# ------------------------------------------------------------------------------- lstmblock
def lstmblock(*args: Any, name: str | None = None) -> Any:
    """The LSTM block: a whole sequence with lstmCell's weights (TF BlockLSTM).

    Overloads: ``lstmblock([name,] maxTSLength, x, cLast, yLast, LSTMWeights,
    LSTMConfiguration)`` (maxTSLength FIRST) and ``lstmblock([name,] x, LSTMWeights,
    LSTMConfiguration)``.

    Args:
        maxTSLength: ``[batchSize]`` lengths (libnd4j ignores it; here steps past a length
            output zeros and keep the state: a full-length vector gives libnd4j's result).
        x: Input in the configuration's RnnDataFormat (TNS, NST, NTS).
        cLast, yLast: Initial cell state and output ``[batchSize, numUnits]`` (zeros if None).
        LSTMWeights, LSTMConfiguration: as in :func:`lstmCell`.
        name (str, optional): Node name prefix.

    Returns:
        The output sequence ``y`` in the input's data format, ``numUnits`` features.

    Raises:
        ShapeError, ArgumentError, DTypeError: as :func:`lstmCell` and :func:`lstmLayer`.

    Examples:
        >>> from nnfunc.compat.samediff import rnn
        >>> w = rnn.LSTMWeights(ruWeight=np.zeros((5, 12)), bias=np.zeros(12))
        >>> rnn.lstmblock(np.ones((4, 2, 6)), w, rnn.LSTMConfiguration(RnnDataFormat="NST")).shape
        (4, 3, 6)
    """
    op = "lstmblock"
    args, name = _args(op, args, name, (3, 6))
    if len(args) == 3:
        x, weights, config = args
        max_len = c_last = y_last = None
    else:
        max_len, x, c_last, y_last, weights, config = args
    with node_errors(name, x, max_len, c_last, y_last):
        weights = _obj(op, "LSTMWeights", weights, LSTMWeights)
        config = _obj(op, "LSTMConfiguration", config, LSTMConfiguration)
        layout = _LAYOUT[config.RnnDataFormat.name]
        x = _sequence(op, x, f"RnnDataFormat {config.RnnDataFormat.name}")
        t_ax, f_ax, n_ax = _AXES[layout]
        w, b, peeps, n = _lstm_weights(op, weights, config, x.shape[f_ax])
        for field, s in (("cLast", c_last), ("yLast", y_last)):
            if s is not None:
                _shape(
                    op, field, s, (x.shape[n_ax], n), f"batch from x, numUnits {n} from ruWeight"
                )
        lengths = _lengths(op, max_len, x.shape[t_ax])
    kw = {}
    if peeps is not None:
        kw = dict(zip(("w_ci", "w_cf", "w_co"), peeps, strict=True))
    y, _, _ = F.lstm_block(
        x,
        w,
        b,
        y_last,
        c_last,
        lengths=lengths,
        forget_bias=config.forgetBias,
        cell_clip=config.clippingCellValue,
        gate_order="izfo",
        layout=layout,
        name=name,
        **kw,
    )
    return y


# ------------------------------------------------------------------------------------- gru
def gru(*args: Any, name: str | None = None) -> list[Any]:
    """The GRU cell: ONE time step, reset gate applied before the matmul (Cho et al. 2014).

    ``gru([name,] x, hLast, GRUWeights)``:
    ``[r, u] = sigmoid([x, hLast] ruWeight + ruBias)``,
    ``c = tanh([x, r*hLast] cWeight + cBias)``, ``h = (1 - u)*c + u*hLast``.

    Args:
        x: ``[batchSize, inSize]``.
        hLast: ``[batchSize, numUnits]``, the previous output.
        GRUWeights: ruWeight ``[(inSize + numUnits), 2*numUnits]``, cWeight
            ``[(inSize + numUnits), numUnits]``, ruBias ``[2*numUnits]``, cBias ``[numUnits]``.
        name (str, optional): Node name.

    Returns:
        list: ``[r, u, c, h]`` (libnd4j gruCell), each ``[batchSize, numUnits]``.

    Raises:
        ShapeError: a weight does not fit x and hLast.

    Examples:
        >>> from nnfunc.compat.samediff import rnn
        >>> w = rnn.GRUWeights(ruWeight=np.zeros((2, 2)), cWeight=np.ones((2, 1)),
        ...                    ruBias=np.zeros(2), cBias=np.zeros(1))
        >>> r, u, c, h = rnn.gru(np.ones((1, 1)), np.ones((1, 1)), w)
        >>> float(r[0, 0]), round(float(c[0, 0]), 4), round(float(h[0, 0]), 4)
        (0.5, 0.9051, 0.9526)
    """
    op = "gru"
    (x, h_last, weights), name = _args(op, args, name, (3,))
    with node_errors(name, x, h_last):
        weights = _obj(op, "GRUWeights", weights, GRUWeights)
        x = as_tensor(op, "x", x)
        h_last = as_tensor(op, "hLast", h_last)
        if len(x.shape) != 2 or len(h_last.shape) != 2:
            bad, t = ("x", x) if len(x.shape) != 2 else ("hLast", h_last)
            raise ShapeError(
                check.message(op, bad, "have rank 2", **{f"{bad}.shape": tuple(t.shape)})
            )
        n_in, n = x.shape[1], h_last.shape[1]
        why = f"inSize {n_in} from x, numUnits {n} from hLast"
        ru = _shape(op, "ruWeight", weights.ruWeight, (n_in + n, 2 * n), why)
        cw = _shape(op, "cWeight", weights.cWeight, (n_in + n, n), why)
        rb = _shape(op, "ruBias", weights.ruBias, (2 * n,), f"numUnits {n} from hLast")
        cb = _shape(op, "cBias", weights.cBias, (n,), f"numUnits {n} from hLast")
    w_x = F.concatenate(F.getitem(ru, slice(0, n_in)), F.getitem(cw, slice(0, n_in)), axis=1)
    w_h = F.concatenate(F.getitem(ru, slice(n_in, None)), F.getitem(cw, slice(n_in, None)), axis=1)
    h, r, z, c = F.gru_cell(
        x,
        h_last,
        w_x,
        w_h,
        F.concatenate(rb, cb, axis=0),
        None,
        linear_before_reset=False,
        return_gates=True,
        name=name,
    )
    return [r, z, c, h]


# ------------------------------------------------------------------------------------- sru
def sru(*args: Any, name: str | None = None) -> Any:
    """The SRU layer over a whole sequence (the seed's "single time step" is copied from
    sruCell; libnd4j runs the sequence).

    Overloads: ``sru([name,] x, initialC, mask, SRUWeights)`` and
    ``sru([name,] x, initialC, SRUWeights)``.

    Args:
        x: ``[batchSize, inSize, time]`` (libnd4j's layout; the seed prints
            ``[batchSize, inSize]``).
        initialC: ``[batchSize, inSize]``.
        mask: Optional dropout mask ``[batchSize, inSize]``, applied to ``tanh(c)``.
        SRUWeights: weights ``[3*inSize, inSize]`` applied as ``W.x`` (rows: x~, f, r), bias
            ``[2*inSize]`` (f, r).
        name (str, optional): Node name.

    Returns:
        ``h`` ``[batchSize, inSize, time]``.

    Raises:
        ShapeError: weights, bias, initialC or mask do not fit x.

    Examples:
        >>> from nnfunc.compat.samediff import rnn
        >>> w = rnn.SRUWeights(weights=np.zeros((6, 2)), bias=np.zeros(4))
        >>> rnn.sru(np.ones((1, 2, 3)), np.zeros((1, 2)), w)[0]
        array([[0.5, 0.5, 0.5],
               [0.5, 0.5, 0.5]])
    """
    op = "sru"
    args, name = _args(op, args, name, (3, 4))
    if len(args) == 3:
        (x, c0, weights), mask = args, None
    else:
        x, c0, mask, weights = args
    with node_errors(name, x, c0, mask):
        weights = _obj(op, "SRUWeights", weights, SRUWeights)
        x = _sequence(op, x, "[batchSize, inSize, time]")
        k = x.shape[1]
        w = _shape(
            op, "weights", weights.weights, (3 * k, k), f"[3*inSize, inSize], inSize {k} from x"
        )
    h, _ = F.sru(x, F.transpose(w), weights.bias, c0, mask=mask, layout="BFT", name=name)
    return h


def sruCell(*args: Any, name: str | None = None) -> Any:
    """One SRU time step (the seed's heading says "The SRU layer").

    ``sruCell([name,] x, cLast, SRUWeights)``.

    Args:
        x: ``[batchSize, inSize]``.
        cLast: Previous cell state ``[batchSize, inSize]``.
        SRUWeights: weights ``[inSize, 3*inSize]`` (blocks x~, f, r), bias ``[2*inSize]``.
        name (str, optional): Node name.

    Returns:
        ``h`` ``[batchSize, inSize]`` (libnd4j also computes the new cell state; the seed's
        signature returns one array: use :func:`nnfunc.sru_cell` for both).

    Raises:
        ShapeError: a weight or state does not fit.

    Examples:
        >>> from nnfunc.compat.samediff import rnn
        >>> w = rnn.SRUWeights(weights=np.zeros((2, 6)), bias=np.zeros(4))
        >>> rnn.sruCell(np.ones((1, 2)), np.zeros((1, 2)), w)
        array([[0.5, 0.5]])
    """
    op = "sruCell"
    (x, c_last, weights), name = _args(op, args, name, (3,))
    with node_errors(name, x, c_last):
        weights = _obj(op, "SRUWeights", weights, SRUWeights)
    h, _ = F.sru_cell(x, c_last, weights.weights, weights.bias, name=name)
    return h
