// Row reductions: NORM, RMS_NORM, SUM_ROWS and MEAN (sum_rows with scale 1/ne0). One work-group per row (global = (L, ne1,
// ne2*ne3), local = (L, 1, 1) with L a power of two); the work-items stride through the row and
// reduce through local memory (scratch: L floats).

kernel void norm(float eps, TENSOR(src0), TENSOR(dst), local float *scratch) {
    const int lid = get_local_id(0), n = get_local_size(0), ne0 = src0_ne.s0;
    const int i1 = get_global_id(1);
    SPLIT23(get_global_id(2), src0_ne.s2, i2, i3);
    float s = 0.0f;
    for (int i0 = lid; i0 < ne0; i0 += n) {
        s += load_f(AT(src0, i0, i1, i2, i3), src0_type);
    }
    const float mean = group_sum(scratch, s) / ne0;
    float v = 0.0f;
    for (int i0 = lid; i0 < ne0; i0 += n) {
        const float d = load_f(AT(src0, i0, i1, i2, i3), src0_type) - mean;
        v += d * d;
    }
    const float scale = 1.0f / sqrt(group_sum(scratch, v) / ne0 + eps);
    for (int i0 = lid; i0 < ne0; i0 += n) {
        const float x = load_f(AT(src0, i0, i1, i2, i3), src0_type);
        store_f(AT(dst, i0, i1, i2, i3), dst_type, (x - mean) * scale);
    }
}

kernel void rms_norm(float eps, TENSOR(src0), TENSOR(dst), local float *scratch) {
    const int lid = get_local_id(0), n = get_local_size(0), ne0 = src0_ne.s0;
    const int i1 = get_global_id(1);
    SPLIT23(get_global_id(2), src0_ne.s2, i2, i3);
    float s = 0.0f;
    for (int i0 = lid; i0 < ne0; i0 += n) {
        const float x = load_f(AT(src0, i0, i1, i2, i3), src0_type);
        s += x * x;
    }
    const float scale = 1.0f / sqrt(group_sum(scratch, s) / ne0 + eps);
    for (int i0 = lid; i0 < ne0; i0 += n) {
        const float x = load_f(AT(src0, i0, i1, i2, i3), src0_type);
        store_f(AT(dst, i0, i1, i2, i3), dst_type, x * scale);
    }
}

kernel void sum_rows(float scale, TENSOR(src0), TENSOR(dst), local float *scratch) {
    const int lid = get_local_id(0), n = get_local_size(0), ne0 = src0_ne.s0;
    const int i1 = get_global_id(1);
    SPLIT23(get_global_id(2), src0_ne.s2, i2, i3);
    float s = 0.0f;
    for (int i0 = lid; i0 < ne0; i0 += n) {
        s += load_f(AT(src0, i0, i1, i2, i3), src0_type);
    }
    s = group_sum(scratch, s);
    if (lid == 0) {
        store_f(AT(dst, 0, i1, i2, i3), dst_type, s * scale);
    }
}
