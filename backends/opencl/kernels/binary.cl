// ADD, SUB, MUL, DIV: dst = src0 (op) src1, src1 repeated over src0's shape (ggml's broadcast:
// src1 index = dst index % src1.ne). One work-item per element (ELEMENT).

#define OP_ADD 0
#define OP_SUB 1
#define OP_MUL 2
#define OP_DIV 3

float binary_apply(int op, float a, float b) {
    switch (op) {
        case OP_ADD: return a + b;
        case OP_SUB: return a - b;
        case OP_MUL: return a * b;
        default: return a / b;
    }
}

kernel void binary(int op, TENSOR(src0), TENSOR(src1), TENSOR(dst)) {
    ELEMENT(k, dst_ne, i0, i1, i2, i3);
    const float a = load_f(AT(src0, i0, i1, i2, i3), src0_type);
    const float b = load_f(AT(src1, i0 % src1_ne.s0, i1 % src1_ne.s1, i2 % src1_ne.s2,
                              i3 % src1_ne.s3), src1_type);
    store_f(AT(dst, i0, i1, i2, i3), dst_type, binary_apply(op, a, b));
}

// ACC, second step (the first copies src0 into dst): src1's element (i0, i1, i2, i3) is added
// to the f32 at byte offset + 4*i0 + i1*nb1 + i2*nb2 + i3*nb3 of dst (a contiguous tensor).
kernel void acc_add(ulong offset, ulong4 view_nb, TENSOR(src1), TENSOR(dst)) {
    ELEMENT(k, src1_ne, i0, i1, i2, i3);
    global float *p = (global float *)(dst + dst_offs + offset + 4 * (ulong)i0 +
                                       i1 * view_nb.s1 + i2 * view_nb.s2 + i3 * view_nb.s3);
    *p += load_f(AT(src1, i0, i1, i2, i3), src1_type);
}

#ifdef BOP
// The fast path (see fast.py): op BOP and types TA, TB, TD are build options, src1 is
// broadcast by zero strides, 4 elements per work-item (ROWS4), vectors when VEC4 is 1.
#if BOP == OP_ADD
#define BAPPLY(a, b) ((a) + (b))
#elif BOP == OP_SUB
#define BAPPLY(a, b) ((a) - (b))
#elif BOP == OP_MUL
#define BAPPLY(a, b) ((a) * (b))
#else
#define BAPPLY(a, b) ((a) / (b))
#endif

kernel void binary_rows(STRIDED(src0), STRIDED(src1), STRIDED(dst), int4 ne) {
    ROWS4(ne, i0, n, i1, i2, i3);
    const global char *a = AT(src0, i0, i1, i2, i3);
    const global char *b = AT(src1, i0, i1, i2, i3);
    global char *d = AT(dst, i0, i1, i2, i3);
#if VEC4
    if (n == 4) {
        STORE4(TD, BAPPLY(LOAD4(TA, a), LOAD4(TB, b)), d);
        return;
    }
#endif
    for (int j = 0; j < n; j++) {
        const float v = BAPPLY(LOAD1(TA, a + j * src0_nb.s0), LOAD1(TB, b + j * src1_nb.s0));
        STORE1(TD, v, d + j * dst_nb.s0);
    }
}
#endif
