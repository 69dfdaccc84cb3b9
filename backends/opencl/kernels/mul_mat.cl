// MUL_MAT: dst[m, n, i2, i3] = sum_k src0[k, m, i2 / r2, i3 / r3] * src1[k, n, i2, i3]
// (r2 = ne12 / ne02, r3 = ne13 / ne03: src0 is broadcast over dims 2 and 3). dst is f32.
// M = src0.ne1, N = src1.ne1, K = src0.ne0. Dim 2 of the grid runs over dst's ne2 * ne3.
//
// Two kernels:
// - mul_mat_tiled: the work-group's BM x BN block of dst goes through local memory in k-tiles
//   of TK; each work-item keeps WM x WN sums in registers. Any layout and type (loads by ne/nb,
//   quantized src0 dequantized while the tile is loaded; the operand types TILE_T0, TILE_T1
//   are build options, so the loads have no type switch). Meant for GPUs.
// - mul_mat_rows: no local memory; each work-item computes WM x WN dot products straight from
//   global rows, 16 k at a time as float16 vectors (src0 of type SRC0_TYPE, a build option).
//   Needs packed, aligned rows and K % 16 == 0 (the host checks). Meant for CPU devices, where
//   it runs far faster than the tiled kernel (see bench/opencl_matmul.py).
//
// NOTE: the hot loops avoid library calls (vload16, fma, vload_half): some CPU compilers do
// not inline them, and the loops are unrolled by pragma, not left to the compiler.

#define UNROLL _Pragma("unroll")
#define INLINE __attribute__((always_inline))  // the hot loop's helpers, even when large

INLINE float load_src(TENSOR(t), int k, int row, int i2, int i3) {
    if (t_type == TYPE_Q8_0 || t_type == TYPE_Q4_0) {
        return load_q(ROW(t, row, i2, i3), t_type, k);
    }
    return load_f(AT(t, k, row, i2, i3), t_type);
}

// OUT_PROD: dst[i0, i1, i2, i3] = sum_k src0[i0, k, i2 / r2, i3 / r3] * src1[i1, k, i2, i3].
// One work-item per dst element (training-sized work, not a hot path).
kernel void out_prod(TENSOR(src0), TENSOR(src1), TENSOR(dst)) {
    ELEMENT(e, dst_ne, i0, i1, i2, i3);
    const int i02 = i2 / (dst_ne.s2 / src0_ne.s2), i03 = i3 / (dst_ne.s3 / src0_ne.s3);
    float s = 0.0f;
    for (int k = 0; k < src0_ne.s1; k++) {
        const float a = src0_type == TYPE_Q8_0 || src0_type == TYPE_Q4_0
                            ? load_q(ROW(src0, k, i02, i03), src0_type, i0)
                            : load_f(AT(src0, i0, k, i02, i03), src0_type);
        s += a * load_f(AT(src1, i1, k, i2, i3), src1_type);
    }
    *(global float *)AT(dst, i0, i1, i2, i3) = s;
}

#ifdef BM
#define LM (BM / WM)
#define LN (BN / WN)

kernel __attribute__((reqd_work_group_size(LM, LN, 1)))
void mul_mat_tiled(TENSOR(src0), TENSOR(src1), TENSOR(dst)) {
    local float As[TK * BM];
    local float Bs[TK * BN];
    const int M = src0_ne.s1, N = src1_ne.s1, K = src0_ne.s0;
    const int lm = get_local_id(0), ln = get_local_id(1), lid = ln * LM + lm;
    const int m0 = get_group_id(0) * BM, n0 = get_group_id(1) * BN;
    SPLIT23(get_global_id(2), dst_ne.s2, i12, i13);
    const int i02 = i12 / (src1_ne.s2 / src0_ne.s2), i03 = i13 / (src1_ne.s3 / src0_ne.s3);
    float acc[WN][WM];
    UNROLL for (int j = 0; j < WN; j++) {
        UNROLL for (int i = 0; i < WM; i++) {
            acc[j][i] = 0.0f;
        }
    }
    for (int k0 = 0; k0 < K; k0 += TK) {
        for (int idx = lid; idx < BM * TK; idx += LM * LN) {
            const int m = idx / TK, k = idx % TK;
            const bool inside = m0 + m < M && k0 + k < K;
            As[k * BM + m] = inside ? load_src(src0, src0_offs, src0_ne, src0_nb, TILE_T0, k0 + k,
                                               m0 + m, i02, i03) : 0.0f;
        }
        for (int idx = lid; idx < BN * TK; idx += LM * LN) {
            const int n = idx / TK, k = idx % TK;
            const bool inside = n0 + n < N && k0 + k < K;
            Bs[k * BN + n] = inside ? load_src(src1, src1_offs, src1_ne, src1_nb, TILE_T1, k0 + k,
                                               n0 + n, i12, i13) : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        UNROLL for (int k = 0; k < TK; k++) {
            float a[WM], b[WN];
            UNROLL for (int i = 0; i < WM; i++) {
                a[i] = As[k * BM + lm + i * LM];
            }
            UNROLL for (int j = 0; j < WN; j++) {
                b[j] = Bs[k * BN + ln + j * LN];
            }
            UNROLL for (int j = 0; j < WN; j++) {
                UNROLL for (int i = 0; i < WM; i++) {
                    acc[j][i] += a[i] * b[j];
                }
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    UNROLL for (int j = 0; j < WN; j++) {
        UNROLL for (int i = 0; i < WM; i++) {
            const int m = m0 + lm + i * LM, n = n0 + ln + j * LN;
            if (m < M && n < N) {
                *(global float *)AT(dst, m, n, i12, i13) = acc[j][i];
            }
        }
    }
}
#endif

#ifdef SRC0_TYPE
// f16 bits to float without library calls or float denormals (subnormals scaled as integers)
INLINE float16 half_bits16(uint16 h) {
    const uint16 em = h & 0x7fffu;
    const float16 sub = convert_float16(em) * 0x1.0p-24f;
    const float16 nrm = as_float16((em << 13) + 0x38000000u);
    const float16 spc = as_float16((em << 13) | 0x7f800000u);
    float16 f = em < 0x400u ? sub : (em >= 0x7c00u ? spc : nrm);
    return as_float16(as_uint16(f) | ((h & 0x8000u) << 16));
}

INLINE float half_bits(uint h) {
    return half_bits16((uint16)(h)).s0;
}

// 16 bytes from a 2-byte aligned address, as eight ushort loads (blocks are 34 or 18 bytes,
// so their quants are never 16-byte aligned, and vload16 is a library call)
INLINE uchar16 load_bytes16(const global char *p) {
    const global ushort *u = (const global ushort *)p;
    return as_uchar16((ushort8)(u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7]));
}

// 16 values of a src0 row from k (k % 16 == 0)
INLINE float16 load_row16(const global char *row, int k) {
#if SRC0_TYPE == TYPE_F32
    return *(const global float16 *)(row + 4 * k);
#elif SRC0_TYPE == TYPE_F16
    return half_bits16(convert_uint16(*(const global ushort16 *)(row + 2 * k)));
#elif SRC0_TYPE == TYPE_Q8_0
    const global char *blk = row + (k / QK) * (2 + QK);
    const char16 q = as_char16(load_bytes16(blk + 2 + k % QK));
    return convert_float16(q) * half_bits(*(const global ushort *)blk);
#else
    const global char *blk = row + (k / QK) * (2 + QK / 2);
    const uchar16 q = load_bytes16(blk + 2) >> (uchar)(k % QK ? 4 : 0);
    return (convert_float16(q & (uchar)0x0F) - 8.0f) * half_bits(*(const global ushort *)blk);
#endif
}

INLINE float hsum16(float16 v) {
    const float8 s8 = v.lo + v.hi;
    const float4 s4 = s8.lo + s8.hi;
    const float2 s2 = s4.lo + s4.hi;
    return s2.x + s2.y;
}

kernel void mul_mat_rows(TENSOR(src0), TENSOR(src1), TENSOR(dst)) {
    const int M = src0_ne.s1, N = src1_ne.s1, K = src0_ne.s0;
    const int m0 = get_global_id(0) * RM, n0 = get_global_id(1) * RN;
    SPLIT23(get_global_id(2), dst_ne.s2, i12, i13);
    const int i02 = i12 / (src1_ne.s2 / src0_ne.s2), i03 = i13 / (src1_ne.s3 / src0_ne.s3);
    const global char *a[RM];
    const global char *b[RN];
    float16 acc[RN][RM];
    UNROLL for (int i = 0; i < RM; i++) {
        a[i] = ROW(src0, min(m0 + i, M - 1), i02, i03);  // rows past the end: computed, unused
    }
    UNROLL for (int j = 0; j < RN; j++) {
        b[j] = ROW(src1, min(n0 + j, N - 1), i12, i13);
        UNROLL for (int i = 0; i < RM; i++) {
            acc[j][i] = (float16)(0.0f);
        }
    }
    for (int k = 0; k < K; k += 16) {
        float16 av[RM], bv[RN];
        UNROLL for (int i = 0; i < RM; i++) {
            av[i] = load_row16(a[i], k);
        }
        UNROLL for (int j = 0; j < RN; j++) {
            bv[j] = *(const global float16 *)(b[j] + 4 * k);
        }
        UNROLL for (int j = 0; j < RN; j++) {
            UNROLL for (int i = 0; i < RM; i++) {
                acc[j][i] += av[i] * bv[j];
            }
        }
    }
    UNROLL for (int j = 0; j < RN; j++) {
        UNROLL for (int i = 0; i < RM; i++) {
            if (m0 + i < M && n0 + j < N) {
                *(global float *)AT(dst, m0 + i, n0 + j, i12, i13) = hsum16(acc[j][i]);
            }
        }
    }
}
#endif
