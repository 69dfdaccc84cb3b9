// ROPE, modes NORMAL (rotate pairs (i0, i0+1)) and NEOX (rotate pairs (i, i + n_dims/2)), with
// ggml's YaRN terms; position p = pos[i2]. For pair index j < n_dims/2 the angle is
// p * theta_scale^j / ff[j]; values at i0 >= n_dims are copied. The angle follows ggml's float32 recurrence (theta_j = p times
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

// rope_rows: types TA -> TD as build options. One work-item per position (i2, i3) and up to
// HEADS consecutive rows i1 (grid (ceil(ne1 / HEADS), ne2, ne3), dim 0 rounded up to whole
// work-groups): it walks the pairs in order, so the angle recurrence costs one multiplication
// per pair (the same values as ggml's), and each cos/sin serves all its rows.
#define HEADS 8
kernel void rope_rows(STRIDED(src0), STRIDED(pos), STRIDED(ff), int has_ff, STRIDED(dst),
                      int4 ne, int n_dims, int neox, float theta_scale, float freq_scale,
                      float ext_factor, float attn_factor, float corr0, float corr1) {
    const int h0 = HEADS * get_global_id(0), i2 = get_global_id(1), i3 = get_global_id(2);
    if (h0 >= ne.s1) {
        return;
    }
    const int h1 = min(ne.s1, h0 + HEADS);
    float theta = (float)*(const global int *)AT(pos, i2, 0, 0, 0);
    int j = 0;
    for (; j < ne.s0 / 2 && 2 * j < n_dims; j++) {
        const float factor = has_ff ? LOAD1(F32, AT(ff, j, 0, 0, 0)) : 1.0f;
        const float2 cs = yarn_cos_sin(theta / factor, freq_scale, corr0, corr1, 2 * j,
                                       ext_factor, attn_factor);
        const int a = neox ? j : 2 * j, b = neox ? j + n_dims / 2 : 2 * j + 1;
        for (int i1 = h0; i1 < h1; i1++) {
            const float x0 = LOAD1(TA, AT(src0, a, i1, i2, i3));
            const float x1 = LOAD1(TA, AT(src0, b, i1, i2, i3));
            STORE1(TD, x0 * cs.x - x1 * cs.y, AT(dst, a, i1, i2, i3));
            STORE1(TD, x0 * cs.y + x1 * cs.x, AT(dst, b, i1, i2, i3));
        }
        theta *= theta_scale;
    }
    for (int i1 = h0; i1 < h1; i1++) {
        for (int e = 2 * j; e < ne.s0; e++) {
            STORE1(TD, LOAD1(TA, AT(src0, e, i1, i2, i3)), AT(dst, e, i1, i2, i3));
        }
    }
}
