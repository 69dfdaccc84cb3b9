// Copies and rearrangements: CPY/CONT/DUP, REPEAT, CONCAT. One work-item per element
// (ELEMENT). Same type: the element's bytes are copied exactly; f32 <-> f16 converted (round
// to nearest even); a quantized source (CPY to f32/f16) dequantized.

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
