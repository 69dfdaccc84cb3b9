// Element-wise ops of one source: the UNARY sub-ops, SQR/SQRT/LOG/SIN/COS, SCALE, CLAMP,
// LEAKY_RELU. The op code comes from the host as a build option (-DU_<NAME>=n), so host and
// kernel share one numbering. p0, p1: the op's float parameters (scale and bias, min and max,
// negative slope). One work-item per element (ELEMENT).

float gelu_tanh(float x) {
    const float SQRT_2_OVER_PI = 0.79788456080286535587989211986876f;
    return 0.5f * x * (1.0f + tanh(SQRT_2_OVER_PI * x * (1.0f + 0.044715f * x * x)));
}

float unary_apply(int op, float x, float p0, float p1) {
    switch (op) {
        case U_ABS: return fabs(x);
        case U_SGN: return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f);
        case U_NEG: return -x;
        case U_STEP: return x > 0.0f ? 1.0f : 0.0f;
        case U_TANH: return tanh(x);
        case U_ELU: return x > 0.0f ? x : expm1(x);
        case U_RELU: return x > 0.0f ? x : 0.0f;
        case U_SIGMOID: return 1.0f / (1.0f + exp(-x));
        case U_GELU: return gelu_tanh(x);
        case U_GELU_QUICK: return x / (1.0f + exp(-1.702f * x));
        case U_SILU: return x / (1.0f + exp(-x));
        case U_HARDSWISH: return x * fmin(1.0f, fmax(0.0f, (x + 3.0f) / 6.0f));
        case U_HARDSIGMOID: return fmin(1.0f, fmax(0.0f, (x + 3.0f) / 6.0f));
        case U_EXP: return exp(x);
        case U_GELU_ERF: return 0.5f * x * (1.0f + erf(x * 0.70710678118654752440f));
        case U_SQR: return x * x;
        case U_SQRT: return sqrt(x);
        case U_LOG: return log(x);
        case U_SIN: return sin(x);
        case U_COS: return cos(x);
        case U_SCALE: return x * p0 + p1;
        case U_CLAMP: return fmin(fmax(x, p0), p1);
        default: return fmax(x, 0.0f) + p0 * fmin(x, 0.0f);  // U_LEAKY_RELU
    }
}

kernel void unary(int op, float p0, float p1, TENSOR(src0), TENSOR(dst)) {
    ELEMENT(k, dst_ne, i0, i1, i2, i3);
    const float x = load_f(AT(src0, i0, i1, i2, i3), src0_type);
    store_f(AT(dst, i0, i1, i2, i3), dst_type, unary_apply(op, x, p0, p1));
}

// GLU: dst = act(x) * g with act = relu (REGLU), gelu (GEGLU) or silu (SWIGLU). Fused (no
// src1): x and g are the two halves of each src0 row (exchanged when swapped); split: x from
// src0, g from src1. One work-item per dst element.
kernel void glu(int op, int swapped, TENSOR(src0), TENSOR(src1), int has_src1, TENSOR(dst)) {
    ELEMENT(k, dst_ne, i0, i1, i2, i3);
    float x, g;
    if (has_src1) {
        x = load_f(AT(src0, i0, i1, i2, i3), src0_type);
        g = load_f(AT(src1, i0, i1, i2, i3), src1_type);
    } else {
        const int n = dst_ne.s0;
        x = load_f(AT(src0, i0 + (swapped ? n : 0), i1, i2, i3), src0_type);
        g = load_f(AT(src0, i0 + (swapped ? 0 : n), i1, i2, i3), src0_type);
    }
    const float a = op == G_REGLU ? fmax(x, 0.0f) : op == G_GEGLU ? gelu_tanh(x)
                                                                  : x / (1.0f + exp(-x));
    store_f(AT(dst, i0, i1, i2, i3), dst_type, a * g);
}

#ifdef UOP
// The fast path (see fast.py): op UOP (a U_<NAME> code) and types TA, TD are build options,
// 4 elements per work-item (ROWS4), vectors when VEC4 is 1.
float4 unary_apply4(float4 x, float p0, float p1) {
    return (float4)(unary_apply(UOP, x.s0, p0, p1), unary_apply(UOP, x.s1, p0, p1),
                    unary_apply(UOP, x.s2, p0, p1), unary_apply(UOP, x.s3, p0, p1));
}

kernel void unary_rows(float p0, float p1, STRIDED(src0), STRIDED(dst), int4 ne) {
    ROWS4(ne, i0, n, i1, i2, i3);
    const global char *a = AT(src0, i0, i1, i2, i3);
    global char *d = AT(dst, i0, i1, i2, i3);
#if VEC4
    if (n == 4) {
        STORE4(TD, unary_apply4(LOAD4(TA, a), p0, p1), d);
        return;
    }
#endif
    for (int j = 0; j < n; j++) {
        STORE1(TD, unary_apply(UOP, LOAD1(TA, a + j * src0_nb.s0), p0, p1), d + j * dst_nb.s0);
    }
}
#endif
