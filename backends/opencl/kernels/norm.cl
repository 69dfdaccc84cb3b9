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

kernel void l2_norm(float eps, TENSOR(src0), TENSOR(dst), local float *scratch) {
    const int lid = get_local_id(0), n = get_local_size(0), ne0 = src0_ne.s0;
    const int i1 = get_global_id(1);
    SPLIT23(get_global_id(2), src0_ne.s2, i2, i3);
    float s = 0.0f;
    for (int i0 = lid; i0 < ne0; i0 += n) {
        const float x = load_f(AT(src0, i0, i1, i2, i3), src0_type);
        s += x * x;
    }
    const float scale = 1.0f / fmax(sqrt(group_sum(scratch, s)), eps);
    for (int i0 = lid; i0 < ne0; i0 += n) {
        const float x = load_f(AT(src0, i0, i1, i2, i3), src0_type);
        store_f(AT(dst, i0, i1, i2, i3), dst_type, x * scale);
    }
}

// SUM: one work-group (global = local = (L, 1, 1)) strides through every element
kernel void sum_all(TENSOR(src0), TENSOR(dst), local float *scratch) {
    const int lid = get_local_id(0), n = get_local_size(0);
    const int4 ne = src0_ne;
    const long total = (long)ne.s0 * ne.s1 * ne.s2 * ne.s3;
    float s = 0.0f;
    for (long k = lid; k < total; k += n) {
        const int i0 = (int)(k % ne.s0), i1 = (int)(k / ne.s0 % ne.s1);
        const int i2 = (int)(k / ((long)ne.s0 * ne.s1) % ne.s2);
        const int i3 = (int)(k / ((long)ne.s0 * ne.s1 * ne.s2));
        s += load_f(AT(src0, i0, i1, i2, i3), src0_type);
    }
    s = group_sum(scratch, s);
    if (lid == 0) {
        store_f(dst + dst_offs, dst_type, s);
    }
}

// ARGMAX: one work-item per row; among equal maxima the last index wins (as ggml's loop)
kernel void argmax(TENSOR(src0), TENSOR(dst)) {
    ELEMENT(k, dst_ne, i1, j1, j2, j3);  // dst: one i32 per row of src0
    float best = -INFINITY;
    int at = 0;
    for (int i0 = 0; i0 < src0_ne.s0; i0++) {
        const float x = load_f(AT(src0, i0, i1, 0, 0), src0_type);
        if (x >= best) {
            best = x;
            at = i0;
        }
    }
    *(global int *)AT(dst, i1, 0, 0, 0) = at;
}

// GROUP_NORM: channels (dim 2) in groups of per_group (the last may be smaller), each group
// normalized over all its ne0 * ne1 * channels values, per i3. One work-group per (group, i3):
// global = (L, n_groups, ne3).
kernel void group_norm(int per_group, float eps, TENSOR(src0), TENSOR(dst),
                       local float *scratch) {
    const int lid = get_local_id(0), n = get_local_size(0);
    const int c0 = get_global_id(1) * per_group, i3 = get_global_id(2);
    const int4 ne = src0_ne;
    const long plane = (long)ne.s0 * ne.s1, count = plane * (min(c0 + per_group, ne.s2) - c0);
    float s = 0.0f;
    for (long k = lid; k < count; k += n) {
        s += load_f(AT(src0, k % ne.s0, k / ne.s0 % ne.s1, c0 + k / plane, i3), src0_type);
    }
    const float mean = group_sum(scratch, s) / count;
    float v = 0.0f;
    for (long k = lid; k < count; k += n) {
        const float d =
            load_f(AT(src0, k % ne.s0, k / ne.s0 % ne.s1, c0 + k / plane, i3), src0_type) - mean;
        v += d * d;
    }
    const float scale = 1.0f / sqrt(group_sum(scratch, v) / count + eps);
    for (long k = lid; k < count; k += n) {
        const long i0 = k % ne.s0, i1 = k / ne.s0 % ne.s1, i2 = c0 + k / plane;
        const float x = load_f(AT(src0, i0, i1, i2, i3), src0_type);
        store_f(AT(dst, i0, i1, i2, i3), dst_type, (x - mean) * scale);
    }
}
