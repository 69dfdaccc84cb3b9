// SOFT_MAX and DIAG_MASK_INF.
//
// soft_max: one work-group per row of src0 (global = (L, ne1, ne2*ne3), local = (L, 1, 1)).
// x = src0*scale + slope*mask, where the mask row is (i1, i2 % mask.ne2, i3 % mask.ne3) and the
// ALiBi slope of head h = i2 is m0^(h+1) below n_head_log2, else m1^(2(h-n_head_log2)+1)
// (slope 1 when max_bias is 0). dst may be src0 (in place): each element is read and then
// written by the same work-item.

float alibi_slope(float max_bias, int h, int n_head_log2, float m0, float m1) {
    if (max_bias <= 0.0f) {
        return 1.0f;
    }
    return h < n_head_log2 ? pown(m0, h + 1) : pown(m1, 2 * (h - n_head_log2) + 1);
}

float soft_max_x(TENSOR(src0), TENSOR(mask), int has_mask, float scale, float slope,
                 int i0, int i1, int i2, int i3) {
    float x = load_f(AT(src0, i0, i1, i2, i3), src0_type) * scale;
    if (has_mask) {
        x += slope * load_f(AT(mask, i0, i1, i2 % mask_ne.s2, i3 % mask_ne.s3), mask_type);
    }
    return x;
}

kernel void soft_max(TENSOR(src0), TENSOR(mask), int has_mask, TENSOR(dst), float scale,
                     float max_bias, int n_head_log2, float m0, float m1,
                     local float *scratch) {
    const int lid = get_local_id(0), n = get_local_size(0), ne0 = src0_ne.s0;
    const int i1 = get_global_id(1);
    SPLIT23(get_global_id(2), src0_ne.s2, i2, i3);
    const float slope = alibi_slope(max_bias, i2, n_head_log2, m0, m1);
    float mx = -INFINITY;
    for (int i0 = lid; i0 < ne0; i0 += n) {
        mx = fmax(mx, soft_max_x(TARGS(src0), TARGS(mask), has_mask, scale, slope, i0, i1, i2,
                                 i3));
    }
    mx = group_max(scratch, mx);
    float sum = 0.0f;
    for (int i0 = lid; i0 < ne0; i0 += n) {
        const float x = soft_max_x(TARGS(src0), TARGS(mask), has_mask, scale, slope, i0, i1,
                                   i2, i3);
        const float e = exp(x - mx);
        sum += e;
        store_f(AT(dst, i0, i1, i2, i3), dst_type, e);
    }
    const float inv = 1.0f / group_sum(scratch, sum);
    for (int i0 = lid; i0 < ne0; i0 += n) {
        global char *p = AT(dst, i0, i1, i2, i3);
        store_f(p, dst_type, load_f(p, dst_type) * inv);
    }
}

// diag_mask_inf: dst = -INF where i0 > n_past + i1, else src0. One work-item per element.
kernel void diag_mask_inf(int n_past, TENSOR(src0), TENSOR(dst)) {
    ELEMENT(k, dst_ne, i0, i1, i2, i3);
    const float x = load_f(AT(src0, i0, i1, i2, i3), src0_type);
    store_f(AT(dst, i0, i1, i2, i3), dst_type, i0 > n_past + i1 ? -INFINITY : x);
}
