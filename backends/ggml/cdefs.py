"""ctypes declarations of the parts of ggml's C API the binding calls (ggml.h, ggml-alloc.h,
ggml-backend.h, ggml-cpu.h of ggml 0.20.2), and a check that our struct layout is the library's.

Opaque handles (context, graph, backend, buffer, buffer type, gallocr) are ``c_void_p``;
tensors are ``POINTER(GgmlTensor)`` so their fields can be read directly.
"""

from __future__ import annotations

import ctypes
from ctypes import (
    POINTER,
    Structure,
    c_bool,
    c_char,
    c_char_p,
    c_float,
    c_int,
    c_int32,
    c_int64,
    c_size_t,
    c_void_p,
)

GGML_MAX_DIMS = 4
GGML_MAX_SRC = 10
GGML_MAX_OP_PARAMS = 64
GGML_MAX_NAME = 64
GGML_OBJECT_SIZE = 32  # sizeof(struct ggml_object): offs, size, next, type + padding


class GgmlTensor(Structure):
    """struct ggml_tensor, field for field (ggml.h); 336 bytes on LP64."""

    _fields_ = [
        ("type", c_int),
        ("buffer", c_void_p),
        ("ne", c_int64 * GGML_MAX_DIMS),
        ("nb", c_size_t * GGML_MAX_DIMS),
        ("op", c_int),
        ("op_params", c_int32 * (GGML_MAX_OP_PARAMS // 4)),
        ("flags", c_int32),
        ("src", c_void_p * GGML_MAX_SRC),
        ("view_src", c_void_p),
        ("view_offs", c_size_t),
        ("data", c_void_p),
        ("name", c_char * GGML_MAX_NAME),
        ("extra", c_void_p),
        ("padding", c_char * 8),
    ]


class InitParams(Structure):
    """struct ggml_init_params."""

    _fields_ = [("mem_size", c_size_t), ("mem_buffer", c_void_p), ("no_alloc", c_bool)]


TO_FLOAT = ctypes.CFUNCTYPE(None, c_void_p, POINTER(c_float), c_int64)


class TypeTraits(Structure):
    """struct ggml_type_traits (ggml.h)."""

    _fields_ = [
        ("type_name", c_char_p),
        ("blck_size", c_int64),
        ("blck_size_interleave", c_int64),
        ("type_size", c_size_t),
        ("is_quantized", c_bool),
        ("to_float", c_void_p),
        ("from_float_ref", c_void_p),
    ]


class TypeTraitsCpu(Structure):
    """struct ggml_type_traits_cpu (ggml-cpu.h): what MUL_MAT converts src1 to (vec_dot_type)."""

    _fields_ = [
        ("from_float", c_void_p),
        ("vec_dot", c_void_p),
        ("vec_dot_type", c_int),
        ("nrows", c_int64),
    ]


T = POINTER(GgmlTensor)
P = c_void_p
I64, F = c_int64, c_float

# name: (restype, argtypes). Builders all take (ctx, ...) and return a tensor.
SIGNATURES: dict[str, tuple] = {
    # context, tensors, names
    "ggml_init": (P, [InitParams]),
    "ggml_free": (None, [P]),
    "ggml_tensor_overhead": (c_size_t, []),
    "ggml_graph_overhead_custom": (c_size_t, [c_size_t, c_bool]),
    "ggml_new_tensor": (T, [P, c_int, c_int, POINTER(c_int64)]),
    "ggml_new_tensor_4d": (T, [P, c_int, I64, I64, I64, I64]),
    "ggml_set_name": (T, [T, c_char_p]),
    "ggml_get_name": (c_void_p, [T]),
    "ggml_get_data": (c_void_p, [T]),
    "ggml_nbytes": (c_size_t, [T]),
    "ggml_nelements": (I64, [T]),
    "ggml_set_input": (None, [T]),
    "ggml_set_output": (None, [T]),
    "ggml_op_name": (c_char_p, [c_int]),
    "ggml_type_name": (c_char_p, [c_int]),
    "ggml_unary_op_name": (c_char_p, [c_int]),
    "ggml_glu_op_name": (c_char_p, [c_int]),
    "ggml_get_type_traits": (POINTER(TypeTraits), [c_int]),
    "ggml_get_type_traits_cpu": (POINTER(TypeTraitsCpu), [c_int]),
    "ggml_quantize_chunk": (c_size_t, [c_int, POINTER(F), P, I64, I64, I64, POINTER(F)]),
    "ggml_row_size": (c_size_t, [c_int, I64]),
    # graphs
    "ggml_new_graph_custom": (P, [P, c_size_t, c_bool]),
    "ggml_build_forward_expand": (None, [P, T]),
    "ggml_graph_n_nodes": (c_int, [P]),
    "ggml_graph_node": (T, [P, c_int]),
    "ggml_graph_add_node": (None, [P, T]),
    # builders: element-wise
    "ggml_dup": (T, [P, T]),
    "ggml_dup_inplace": (T, [P, T]),
    "ggml_add": (T, [P, T, T]),
    "ggml_add_inplace": (T, [P, T, T]),
    "ggml_sub": (T, [P, T, T]),
    "ggml_sub_inplace": (T, [P, T, T]),
    "ggml_mul": (T, [P, T, T]),
    "ggml_mul_inplace": (T, [P, T, T]),
    "ggml_div": (T, [P, T, T]),
    "ggml_div_inplace": (T, [P, T, T]),
    "ggml_add1": (T, [P, T, T]),
    "ggml_add1_inplace": (T, [P, T, T]),
    "ggml_acc": (T, [P, T, T, c_size_t, c_size_t, c_size_t, c_size_t]),
    "ggml_acc_inplace": (T, [P, T, T, c_size_t, c_size_t, c_size_t, c_size_t]),
    "ggml_sqr": (T, [P, T]),
    "ggml_sqr_inplace": (T, [P, T]),
    "ggml_sqrt": (T, [P, T]),
    "ggml_sqrt_inplace": (T, [P, T]),
    "ggml_log": (T, [P, T]),
    "ggml_log_inplace": (T, [P, T]),
    "ggml_sin": (T, [P, T]),
    "ggml_sin_inplace": (T, [P, T]),
    "ggml_cos": (T, [P, T]),
    "ggml_cos_inplace": (T, [P, T]),
    "ggml_scale_bias": (T, [P, T, F, F]),
    "ggml_scale_bias_inplace": (T, [P, T, F, F]),
    "ggml_clamp": (T, [P, T, F, F]),
    "ggml_leaky_relu": (T, [P, T, F, c_bool]),
    "ggml_unary": (T, [P, T, c_int]),
    "ggml_unary_inplace": (T, [P, T, c_int]),
    "ggml_glu": (T, [P, T, c_int, c_bool]),
    "ggml_glu_split": (T, [P, T, T, c_int]),
    # reductions and sorting
    "ggml_sum": (T, [P, T]),
    "ggml_sum_rows": (T, [P, T]),
    "ggml_mean": (T, [P, T]),
    "ggml_argmax": (T, [P, T]),
    "ggml_count_equal": (T, [P, T, T]),
    "ggml_argsort": (T, [P, T, c_int]),
    # shape
    "ggml_repeat_4d": (T, [P, T, I64, I64, I64, I64]),
    "ggml_concat": (T, [P, T, T, c_int]),
    "ggml_pad_ext": (T, [P, T] + [c_int] * 8),
    # normalization
    "ggml_norm": (T, [P, T, F]),
    "ggml_norm_inplace": (T, [P, T, F]),
    "ggml_rms_norm": (T, [P, T, F]),
    "ggml_rms_norm_inplace": (T, [P, T, F]),
    "ggml_l2_norm": (T, [P, T, F]),
    "ggml_l2_norm_inplace": (T, [P, T, F]),
    "ggml_group_norm": (T, [P, T, c_int, F]),
    "ggml_group_norm_inplace": (T, [P, T, c_int, F]),
    # matrix products
    "ggml_mul_mat": (T, [P, T, T]),
    "ggml_out_prod": (T, [P, T, T]),
    # copies and views
    "ggml_cpy": (T, [P, T, T]),
    "ggml_cont_4d": (T, [P, T, I64, I64, I64, I64]),
    "ggml_reshape_4d": (T, [P, T, I64, I64, I64, I64]),
    "ggml_view_4d": (T, [P, T, I64, I64, I64, I64, c_size_t, c_size_t, c_size_t, c_size_t]),
    "ggml_permute": (T, [P, T, c_int, c_int, c_int, c_int]),
    "ggml_transpose": (T, [P, T]),
    # indexing and attention
    "ggml_get_rows": (T, [P, T, T]),
    "ggml_set_rows": (T, [P, T, T, T]),
    "ggml_diag_mask_inf": (T, [P, T, c_int]),
    "ggml_diag_mask_inf_inplace": (T, [P, T, c_int]),
    "ggml_soft_max_ext": (T, [P, T, T, F, F]),
    "ggml_soft_max_ext_inplace": (T, [P, T, T, F, F]),
    "ggml_rope_ext": (T, [P, T, T, T, c_int, c_int, c_int, F, F, F, F, F, F]),
    "ggml_rope_ext_inplace": (T, [P, T, T, T, c_int, c_int, c_int, F, F, F, F, F, F]),
    # backend, buffers, allocators
    "ggml_backend_cpu_init": (P, []),
    "ggml_backend_cpu_set_n_threads": (None, [P, c_int]),
    "ggml_backend_free": (None, [P]),
    "ggml_backend_cpu_buffer_type": (P, []),
    "ggml_backend_alloc_ctx_tensors": (P, [P, P]),
    "ggml_backend_alloc_ctx_tensors_from_buft": (P, [P, P]),
    "ggml_backend_buffer_free": (None, [P]),
    "ggml_backend_buffer_get_base": (c_void_p, [P]),
    "ggml_backend_buffer_get_size": (c_size_t, [P]),
    "ggml_backend_buffer_clear": (None, [P, ctypes.c_uint8]),
    "ggml_backend_tensor_set": (None, [T, c_void_p, c_size_t, c_size_t]),
    "ggml_backend_tensor_get": (None, [T, c_void_p, c_size_t, c_size_t]),
    "ggml_backend_graph_compute": (c_int, [P, P]),
    "ggml_backend_supports_op": (c_bool, [P, T]),
    "ggml_gallocr_new": (P, [P]),
    "ggml_gallocr_free": (None, [P]),
    "ggml_gallocr_reserve": (c_bool, [P, P]),
    "ggml_gallocr_alloc_graph": (c_bool, [P, P]),
    "ggml_gallocr_get_buffer_size": (c_size_t, [P, c_int]),
    "ggml_cpu_init": (None, []),
}


def declare(lib) -> None:
    """Set restype/argtypes of every function in SIGNATURES (AttributeError if one is missing)."""
    for name, (restype, argtypes) in SIGNATURES.items():
        f = lib.fn(name)
        f.restype, f.argtypes = restype, argtypes


def _fail(what: str) -> None:
    raise ValueError(f"struct ggml_tensor layout differs from ggml.h: {what}")


def check_tensor_layout(lib) -> None:
    """Make a real tensor and check the fields we read are where the library writes them.

    Raises ValueError naming the first field that is off, so a changed ggml.h is caught at load
    time rather than as silently wrong values.
    """
    expected = lib.fn("ggml_tensor_overhead")() - GGML_OBJECT_SIZE
    if ctypes.sizeof(GgmlTensor) != expected:
        _fail(f"sizeof is {ctypes.sizeof(GgmlTensor)}, the library says {expected}")
    ctx = lib.fn("ggml_init")(InitParams(1 << 16, None, False))
    try:
        _check_fields(lib, ctx)
    finally:
        lib.fn("ggml_free")(ctx)


def _check_fields(lib, ctx) -> None:
    f32 = 0
    a = lib.fn("ggml_new_tensor_4d")(ctx, f32, 3, 5, 7, 11)
    t = a.contents
    if list(t.ne) != [3, 5, 7, 11] or list(t.nb) != [4, 12, 60, 420] or t.type != f32:
        _fail(f"ne={list(t.ne)} nb={list(t.nb)} type={t.type} for a [3,5,7,11] f32 tensor")
    if lib.fn("ggml_nelements")(a) != 3 * 5 * 7 * 11:
        _fail("ne[] does not agree with ggml_nelements")
    lib.fn("ggml_set_name")(a, b"probe")
    base = ctypes.addressof(t)
    if lib.fn("ggml_get_name")(a) != base + GgmlTensor.name.offset or t.name != b"probe":
        _fail("name is not at the expected offset")
    if lib.fn("ggml_get_data")(a) != t.data or not t.data:
        _fail("data is not at the expected offset")
    s = lib.fn("ggml_scale_bias")(ctx, a, 2.5, -1.0).contents
    params = ctypes.cast(s.op_params, POINTER(c_float))
    if (params[0], params[1]) != (2.5, -1.0) or s.src[0] != base:
        _fail(f"op_params/src of a SCALE node read ({params[0]}, {params[1]}), src0={s.src[0]}")
    v = lib.fn("ggml_view_4d")(ctx, a, 3, 5, 1, 1, 12, 60, 60, 60).contents
    if v.view_src != base or v.view_offs != 60 or v.data != t.data + 60:
        _fail(f"view_src/view_offs/data of a view read {v.view_src}, {v.view_offs}, {v.data}")
