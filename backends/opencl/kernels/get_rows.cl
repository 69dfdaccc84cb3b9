// GET_ROWS: dst[i0, i1, i2, i3] = src0[i0, rows[i1, i2, i3], i2, i3], src0 f32/f16/q8_0/q4_0
// (dequantized; dst f32) or i32 (copied; dst i32). One work-item per dst element.

kernel void get_rows(TENSOR(src0), TENSOR(rows), TENSOR(dst)) {
    ELEMENT(k, dst_ne, i0, i1, i2, i3);
    const int r = *(const global int *)AT(rows, i1, i2, i3, 0);
    global char *out = AT(dst, i0, i1, i2, i3);
    if (src0_type == TYPE_I32) {
        *(global int *)out = *(const global int *)AT(src0, i0, r, i2, i3);
    } else if (src0_type == TYPE_Q8_0 || src0_type == TYPE_Q4_0) {
        *(global float *)out = load_q(ROW(src0, r, i2, i3), src0_type, i0);
    } else {
        *(global float *)out = load_f(AT(src0, i0, r, i2, i3), src0_type);
    }
}

#ifdef TA
// The fast path (see fast.py): src0 type TA (F32 or F16) as a build option, dst F32; 4
// elements of a dst row per work-item (ROWS4), the row index read once for them.
kernel void get_rows_fast(STRIDED(src0), STRIDED(rows), STRIDED(dst), int4 ne) {
    ROWS4(ne, i0, n, i1, i2, i3);
    const int r = *(const global int *)AT(rows, i1, i2, i3, 0);
    const global char *a = AT(src0, i0, r, i2, i3);
    global char *d = AT(dst, i0, i1, i2, i3);
#if VEC4
    if (n == 4) {
        STORE4(F32, LOAD4(TA, a), d);
        return;
    }
#endif
    for (int j = 0; j < n; j++) {
        STORE1(F32, LOAD1(TA, a + j * src0_nb.s0), d + j * dst_nb.s0);
    }
}
#endif
