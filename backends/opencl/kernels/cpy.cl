// Copies and rearrangements: CPY/CONT/DUP, REPEAT, CONCAT, PAD, SET_ROWS. One work-item per
// element (ELEMENT) or per quantized block. Same type: the element's bytes are copied exactly;
// f32 <-> f16 converted (round to nearest even), float -> i32 truncated, a quantized source
// dequantized, a quantized destination quantized as ggml's reference code does.

void copy_element(global char *to, const global char *from, int type) {
    if (type == TYPE_F16) {
        *(global ushort *)to = *(const global ushort *)from;
    } else {
        *(global uint *)to = *(const global uint *)from;  // f32, i32
    }
}

// cpy: element k of src0 (in ne order, i0 fastest) goes to element k of dst, whose ne may
// differ (same element count).
kernel void cpy(TENSOR(src0), TENSOR(dst)) {
    ELEMENT(k, src0_ne, i0, i1, i2, i3);
    const int d0 = (int)(k % dst_ne.s0);
    const int d1 = (int)(k / dst_ne.s0 % dst_ne.s1);
    const int d2 = (int)(k / ((long)dst_ne.s0 * dst_ne.s1) % dst_ne.s2);
    const int d3 = (int)(k / ((long)dst_ne.s0 * dst_ne.s1 * dst_ne.s2));
    global char *to = AT(dst, d0, d1, d2, d3);
    if (src0_type == TYPE_Q8_0 || src0_type == TYPE_Q4_0) {
        store_f(to, dst_type, load_q(ROW(src0, i1, i2, i3), src0_type, i0));
    } else if (dst_type == TYPE_I32 && src0_type != TYPE_I32) {
        *(global int *)to = (int)load_f(AT(src0, i0, i1, i2, i3), src0_type);  // truncates
    } else if (src0_type == TYPE_I32 && dst_type != TYPE_I32) {
        store_f(to, dst_type, (float)*(const global int *)AT(src0, i0, i1, i2, i3));
    } else if (src0_type != dst_type) {
        store_f(to, dst_type, load_f(AT(src0, i0, i1, i2, i3), src0_type));
    } else {
        copy_element(to, AT(src0, i0, i1, i2, i3), src0_type);
    }
}

// repeat: dst[i] = src0[i % src0.ne] (src0 tiled over dst)
kernel void repeat(TENSOR(src0), TENSOR(dst)) {
    ELEMENT(k, dst_ne, i0, i1, i2, i3);
    copy_element(AT(dst, i0, i1, i2, i3), AT(src0, i0 % src0_ne.s0, i1 % src0_ne.s1,
                                              i2 % src0_ne.s2, i3 % src0_ne.s3), src0_type);
}

// concat: src0 then src1 along dimension dim
kernel void concat(int dim, TENSOR(src0), TENSOR(src1), TENSOR(dst)) {
    ELEMENT(k, dst_ne, i0, i1, i2, i3);
    int4 i = (int4)(i0, i1, i2, i3);
    const int n0 = dim == 0 ? src0_ne.s0 : dim == 1 ? src0_ne.s1 : dim == 2 ? src0_ne.s2
                                                                             : src0_ne.s3;
    const int id = dim == 0 ? i.s0 : dim == 1 ? i.s1 : dim == 2 ? i.s2 : i.s3;
    const global char *from;
    if (id < n0) {
        from = AT(src0, i.s0, i.s1, i.s2, i.s3);
    } else {
        i -= (int4)(dim == 0, dim == 1, dim == 2, dim == 3) * n0;
        from = AT(src1, i.s0, i.s1, i.s2, i.s3);
    }
    copy_element(AT(dst, i0, i1, i2, i3), from, src0_type);
}

// pad: dst[i] = src0[i - lp] inside src0, else 0 (lp: the padding before each dim)
kernel void pad(int4 lp, TENSOR(src0), TENSOR(dst)) {
    ELEMENT(k, dst_ne, i0, i1, i2, i3);
    const int4 s = (int4)(i0, i1, i2, i3) - lp;
    const bool inside = all(s >= (int4)(0)) && all(s < src0_ne);
    const float v = inside ? load_f(AT(src0, s.s0, s.s1, s.s2, s.s3), src0_type) : 0.0f;
    store_f(AT(dst, i0, i1, i2, i3), dst_type, v);
}

// set_rows: row i of src0 (plane i2, i3) goes to row rows[i, i2 % rows.ne1, i3 % rows.ne2] of
// dst (i32 or i64 indices), converted to dst's type. One work-item per src0 element.
kernel void set_rows(TENSOR(src0), TENSOR(rows), TENSOR(dst)) {
    ELEMENT(k, src0_ne, i0, i1, i2, i3);
    const global char *r = AT(rows, i1, i2 % rows_ne.s1, i3 % rows_ne.s2, 0);
    const long row = rows_type == TYPE_I32 ? *(const global int *)r : *(const global long *)r;
    store_f(AT(dst, i0, row, i2, i3), dst_type, load_f(AT(src0, i0, i1, i2, i3), src0_type));
}

// ggml's quantize_row_q8_0_ref / q4_0_ref for one block of QK values, float32 throughout
// (round() is C's roundf; the (int) cast truncates like C's (int8_t) cast).
void quantize_block(const float *x, global char *blk, int type) {
    float amax = 0.0f, vmax = 0.0f;
    for (int j = 0; j < QK; j++) {
        if (fabs(x[j]) > amax) {
            amax = fabs(x[j]);
            vmax = x[j];
        }
    }
    const float d = type == TYPE_Q8_0 ? amax / 127.0f : vmax / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    vstore_half_rte(d, 0, (global half *)blk);
    if (type == TYPE_Q8_0) {
        for (int j = 0; j < QK; j++) {
            blk[2 + j] = (char)round(x[j] * id);
        }
        return;
    }
    for (int j = 0; j < QK / 2; j++) {
        const int lo = min(15, (int)(x[j] * id + 8.5f));
        const int hi = min(15, (int)(x[j + QK / 2] * id + 8.5f));
        blk[2 + j] = (char)(lo | (hi << 4));
    }
}

float load_any(TENSOR(t), int i0, int i1, int i2, int i3) {
    if (t_type == TYPE_Q8_0 || t_type == TYPE_Q4_0) {
        return load_q(ROW(t, i1, i2, i3), t_type, i0);
    }
    return load_f(AT(t, i0, i1, i2, i3), t_type);
}

// cpy into a quantized dst: one work-item per dst block; the block's QK elements take the
// values of src0's elements with the same flat index (as cpy).
kernel void cpy_to_q(TENSOR(src0), TENSOR(dst)) {
    const int4 blocks = (int4)(dst_ne.s0 / QK, dst_ne.s1, dst_ne.s2, dst_ne.s3);
    ELEMENT(k, blocks, b, i1, i2, i3);
    const long first = QK * (long)b + (long)dst_ne.s0 * (i1 + (long)dst_ne.s1 *
                                                         (i2 + (long)dst_ne.s2 * i3));
    const int4 ne = src0_ne;
    float x[QK];
    for (int j = 0; j < QK; j++) {
        const long e = first + j;
        x[j] = load_any(TARGS(src0), (int)(e % ne.s0), (int)(e / ne.s0 % ne.s1),
                        (int)(e / ((long)ne.s0 * ne.s1) % ne.s2),
                        (int)(e / ((long)ne.s0 * ne.s1 * ne.s2)));
    }
    const int size = dst_type == TYPE_Q8_0 ? 2 + QK : 2 + QK / 2;
    quantize_block(x, ROW(dst, i1, i2, i3) + (long)b * size, dst_type);
}

// set_rows into a quantized dst: one work-item per block of src0 (f32 rows)
kernel void set_rows_q(TENSOR(src0), TENSOR(rows), TENSOR(dst)) {
    const int4 blocks = (int4)(src0_ne.s0 / QK, src0_ne.s1, src0_ne.s2, src0_ne.s3);
    ELEMENT(k, blocks, b, i1, i2, i3);
    const global char *r = AT(rows, i1, i2 % rows_ne.s1, i3 % rows_ne.s2, 0);
    const long row = rows_type == TYPE_I32 ? *(const global int *)r : *(const global long *)r;
    float x[QK];
    for (int j = 0; j < QK; j++) {
        x[j] = load_f(AT(src0, QK * b + j, i1, i2, i3), src0_type);
    }
    const int size = dst_type == TYPE_Q8_0 ? 2 + QK : 2 + QK / 2;
    quantize_block(x, ROW(dst, row, i2, i3) + (long)b * size, dst_type);
}

#ifdef TA
// The fast paths (see fast.py), types TA -> TD as build options (RAW32/RAW16 for same-type
// copies: bits unchanged). cpy_rows: src0 and dst of one ne, 4 elements per work-item.
kernel void cpy_rows(STRIDED(src0), STRIDED(dst), int4 ne) {
    ROWS4(ne, i0, n, i1, i2, i3);
    const global char *a = AT(src0, i0, i1, i2, i3);
    global char *d = AT(dst, i0, i1, i2, i3);
#if VEC4
    if (n == 4) {
        STORE4(TD, LOAD4(TA, a), d);
        return;
    }
#endif
    for (int j = 0; j < n; j++) {
        STORE1(TD, LOAD1(TA, a + j * src0_nb.s0), d + j * dst_nb.s0);
    }
}

// cpy_transpose: src0 and dst of one ne, src0's dimension 1 contiguous and dst's dimension 0
// (a transposed view made contiguous). A TILE x TILE work-group reads a tile along src0's
// rows, and writes it along dst's rows through local memory; grid (ne0, ne1, ne2 * ne3)
// rounded up to whole tiles.
#define TILE 16
kernel void cpy_transpose(STRIDED(src0), STRIDED(dst), int4 ne) {
    local VT(TA) tile[TILE][TILE + 1];
    const int lx = get_local_id(0), ly = get_local_id(1);
    const int b0 = get_group_id(0) * TILE, b1 = get_group_id(1) * TILE;
    SPLIT23(get_global_id(2), ne.s2, i2, i3);
    if (b0 + ly < ne.s0 && b1 + lx < ne.s1) {  // read: lx runs along src0's dimension 1
        tile[ly][lx] = LOAD1(TA, AT(src0, b0 + ly, b1 + lx, i2, i3));
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    if (b0 + lx < ne.s0 && b1 + ly < ne.s1) {  // write: lx runs along dst's dimension 0
        STORE1(TD, tile[lx][ly], AT(dst, b0 + lx, b1 + ly, i2, i3));
    }
}
#endif
