// ROPE, modes NORMAL (rotate pairs (i0, i0+1)) and NEOX (rotate pairs (i, i + n_dims/2)), with
// ggml's YaRN terms. One work-item per pair (ELEMENT over ne with ne0 halved); position
// p = pos[i2]. For pair index j < n_dims/2 the angle is p * theta_scale^j / ff[j]; values
// at i0 >= n_dims are copied. The angle follows ggml's float32 recurrence (theta_j = p times
// theta_scale j times: position x frequency amplifies rounding, so the order of operations
// matters). corr0, corr1: ggml_rope_yarn_corr_dims, and theta_scale, from the host.

float yarn_ramp(float low, float high, int i0) {
    const float y = (i0 / 2 - low) / fmax(0.001f, high - low);
    return 1.0f - fmin(1.0f, fmax(0.0f, y));
}

float2 yarn_cos_sin(float theta_extrap, float freq_scale, float corr0, float corr1, int i0,
                    float ext_factor, float mscale) {
    const float theta_interp = freq_scale * theta_extrap;
    float theta = theta_interp;
    if (ext_factor != 0.0f) {
        const float mix = yarn_ramp(corr0, corr1, i0) * ext_factor;
        theta = theta_interp * (1.0f - mix) + theta_extrap * mix;
        mscale *= 1.0f + 0.1f * log(1.0f / freq_scale);
    }
    return (float2)(cos(theta) * mscale, sin(theta) * mscale);
}

kernel void rope(TENSOR(src0), TENSOR(pos), TENSOR(ff), int has_ff, TENSOR(dst), int n_dims,
                 int neox, float theta_scale, float freq_scale, float ext_factor,
                 float attn_factor, float corr0, float corr1) {
    const int4 pairs = (int4)(dst_ne.s0 / 2, dst_ne.s1, dst_ne.s2, dst_ne.s3);
    ELEMENT(k, pairs, j, i1, i2, i3);
    const int i0 = 2 * j;
    if (i0 >= n_dims) {
        for (int e = i0; e < i0 + 2; e++) {
            store_f(AT(dst, e, i1, i2, i3), dst_type,
                    load_f(AT(src0, e, i1, i2, i3), src0_type));
        }
        return;
    }
    const float p = (float)*(const global int *)AT(pos, i2, 0, 0, 0);
    const float factor = has_ff ? load_f(AT(ff, j, 0, 0, 0), ff_type) : 1.0f;
    float theta = p;
    for (int i = 0; i < j; i++) {
        theta *= theta_scale;
    }
    theta /= factor;
    const float2 cs = yarn_cos_sin(theta, freq_scale, corr0, corr1, i0, ext_factor,
                                   attn_factor);
    const int a = neox ? j : i0, b = neox ? j + n_dims / 2 : i0 + 1;
    const float x0 = load_f(AT(src0, a, i1, i2, i3), src0_type);
    const float x1 = load_f(AT(src0, b, i1, i2, i3), src0_type);
    store_f(AT(dst, a, i1, i2, i3), dst_type, x0 * cs.x - x1 * cs.y);
    store_f(AT(dst, b, i1, i2, i3), dst_type, x0 * cs.y + x1 * cs.x);
}
