// Shared by every program (prepended to each op family's file).
//
// A tensor reaches a kernel as five arguments (see args.py): its buffer, its byte offset in the
// buffer, ne (int4), nb (ulong4: byte strides) and its ggml type. Element (i0, i1, i2, i3) is at
// byte offs + i0*nb.s0 + i1*nb.s1 + i2*nb.s2 + i3*nb.s3, so views, permutations and broadcasts
// are only arithmetic. Float values are computed in float; f16 is storage only (vload_half /
// vstore_half are core OpenCL, no cl_khr_fp16 needed).

#define TYPE_F32 0
#define TYPE_F16 1
#define TYPE_Q4_0 2
#define TYPE_Q8_0 8
#define TYPE_I32 26

#define QK 32  // elements per Q8_0 / Q4_0 block

#define TENSOR(p) global char *p, ulong p##_offs, int4 p##_ne, ulong4 p##_nb, int p##_type

// passes tensor p on to a helper function declared with TENSOR(p)
#define TARGS(p) p, p##_offs, p##_ne, p##_nb, p##_type

// address of element (i0, i1, i2, i3) of tensor p
#define AT(p, i0, i1, i2, i3) \
    (p + p##_offs + (ulong)(i0) * p##_nb.s0 + (ulong)(i1) * p##_nb.s1 + \
     (ulong)(i2) * p##_nb.s2 + (ulong)(i3) * p##_nb.s3)

// address of the start of row (i1, i2, i3) of tensor p
#define ROW(p, i1, i2, i3) AT(p, 0, i1, i2, i3)

float load_f(const global char *ptr, int type) {
    if (type == TYPE_F16) {
        return vload_half(0, (const global half *)ptr);
    }
    return *(const global float *)ptr;
}

void store_f(global char *ptr, int type, float v) {
    if (type == TYPE_F16) {
        vstore_half_rte(v, 0, (global half *)ptr);
    } else {
        *(global float *)ptr = v;
    }
}

// element k of a row of a block-quantized type (blocks: f16 scale d, then the quants)
float load_q(const global char *row, int type, int k) {
    if (type == TYPE_Q8_0) {
        const global char *blk = row + (k / QK) * (2 + QK);
        return vload_half(0, (const global half *)blk) * (float)blk[2 + k % QK];
    }
    const global char *blk = row + (k / QK) * (2 + QK / 2);
    const int j = k % QK;
    const uchar q = (uchar)blk[2 + j % (QK / 2)];
    const int nib = j < QK / 2 ? (q & 0x0F) : (q >> 4);
    return vload_half(0, (const global half *)blk) * (float)(nib - 8);
}

// the i2, i3 of a dim-2 work-item index that runs over ne2 * ne3
#define SPLIT23(g, ne2, i2, i3) const int i2 = (int)((g) % (ne2)); const int i3 = (int)((g) / (ne2))

// Element-wise kernels run on a 1-D grid of fixed-size work-groups (so a compiler that
// specializes on the work-group size builds each kernel once): work-item k handles element k
// of ne (i0 fastest) and returns when k is past the end.
#define ELEMENT(k, ne, i0, i1, i2, i3) \
    const long k = get_global_id(0); \
    if (k >= (long)(ne).s0 * (ne).s1 * (ne).s2 * (ne).s3) return; \
    const int i0 = (int)(k % (ne).s0); \
    const int i1 = (int)(k / (ne).s0 % (ne).s1); \
    const int i2 = (int)(k / ((long)(ne).s0 * (ne).s1) % (ne).s2); \
    const int i3 = (int)(k / ((long)(ne).s0 * (ne).s1 * (ne).s2))

// sum of v over the work-group (scratch: one float per work-item; size a power of two)
float group_sum(local float *scratch, float v) {
    const int lid = get_local_id(0), n = get_local_size(0);
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = n / 2; s > 0; s /= 2) {
        if (lid < s) {
            scratch[lid] += scratch[lid + s];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float r = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

float group_max(local float *scratch, float v) {
    const int lid = get_local_id(0), n = get_local_size(0);
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = n / 2; s > 0; s /= 2) {
        if (lid < s) {
            scratch[lid] = fmax(scratch[lid], scratch[lid + s]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float r = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

// -- typed access for the fast paths ---------------------------------------------------------
// Fast kernels get their operand types as build options (-DTA=F32 -DTD=F16 ...), so there is
// no per-element type switch. RAW32 / RAW16 move an element's bits unchanged (same-type
// copies: no float conversion, so NaN payloads and denormals survive). Vector forms read or
// write 4 consecutive elements; NOTE: the host uses them only when every address they touch is
// aligned to 4 elements (vloadn itself needs only element alignment, but GPU drivers load
// aligned vectors in one transaction).
#define ES_F32 4
#define ES_F16 2
#define ES_RAW32 4
#define ES_RAW16 2

#define LOAD1_F32(p) (*(const global float *)(p))
#define LOAD1_F16(p) vload_half(0, (const global half *)(p))
#define LOAD1_RAW32(p) (*(const global uint *)(p))
#define LOAD1_RAW16(p) (*(const global ushort *)(p))
#define LOAD4_F32(p) vload4(0, (const global float *)(p))
#define LOAD4_F16(p) vload_half4(0, (const global half *)(p))
#define LOAD4_RAW32(p) vload4(0, (const global uint *)(p))
#define LOAD4_RAW16(p) vload4(0, (const global ushort *)(p))

#define STORE1_F32(v, p) (*(global float *)(p) = (v))
#define STORE1_F16(v, p) vstore_half_rte((v), 0, (global half *)(p))
#define STORE1_RAW32(v, p) (*(global uint *)(p) = (v))
#define STORE1_RAW16(v, p) (*(global ushort *)(p) = (v))
#define STORE4_F32(v, p) vstore4((v), 0, (global float *)(p))
#define STORE4_F16(v, p) vstore_half4_rte((v), 0, (global half *)(p))
#define STORE4_RAW32(v, p) vstore4((v), 0, (global uint *)(p))
#define STORE4_RAW16(v, p) vstore4((v), 0, (global ushort *)(p))

// the value type a load gives
#define VT_F32 float
#define VT_F16 float
#define VT_RAW32 uint
#define VT_RAW16 ushort

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define ES(T) CAT(ES_, T)
#define VT(T) CAT(VT_, T)
#define LOAD1(T, p) CAT(LOAD1_, T)(p)
#define LOAD4(T, p) CAT(LOAD4_, T)(p)
#define STORE1(T, v, p) CAT(STORE1_, T)(v, p)
#define STORE4(T, v, p) CAT(STORE4_, T)(v, p)

// A fast kernel's operand: buffer, byte offset and byte strides (ne comes once, for dst). A
// stride of 0 repeats the operand along that dimension (src1's broadcast of size-1 dims).
#define STRIDED(p) global char *p, ulong p##_offs, ulong4 p##_nb

// Row-parallel grid (see fast.py): dim 0 runs over groups of 4 elements of a row, dim 1 over
// i1, dim 2 over i2 and i3 together. A work-item handles elements i0 .. i0 + n - 1 of row
// (i1, i2, i3), n <= 4.
#define ROWS4(ne, i0, n, i1, i2, i3) \
    const int i0 = 4 * (int)get_global_id(0); \
    if (i0 >= (ne).s0) return; \
    const int n = min(4, (ne).s0 - i0); \
    const int i1 = (int)get_global_id(1); \
    SPLIT23(get_global_id(2), (ne).s2, i2, i3)
