// ARGSORT (f32 rows -> i32 indices), stable: equal values keep their index order, ascending or
// descending. One work-item per element: its rank is the number of row elements that come
// before it (O(ne0) each: a reference, not a fast sort), and dst[rank] = its index.

kernel void argsort(int descending, TENSOR(src0), TENSOR(dst)) {
    ELEMENT(k, src0_ne, i0, i1, i2, i3);
    const float x = load_f(AT(src0, i0, i1, i2, i3), src0_type);
    int rank = 0;
    for (int j = 0; j < src0_ne.s0; j++) {
        const float y = load_f(AT(src0, j, i1, i2, i3), src0_type);
        const bool before = descending ? y > x : y < x;
        rank += before || (y == x && j < i0);
    }
    *(global int *)AT(dst, rank, i1, i2, i3) = i0;
}

// COUNT_EQUAL: one work-group (global = local = (L, 1, 1)) counts equal i32 pairs into an i64
kernel void count_equal(TENSOR(src0), TENSOR(src1), TENSOR(dst), local long *scratch) {
    const int lid = get_local_id(0), n = get_local_size(0);
    const int4 ne = src0_ne;
    const long total = (long)ne.s0 * ne.s1 * ne.s2 * ne.s3;
    long c = 0;
    for (long k = lid; k < total; k += n) {
        const int i0 = (int)(k % ne.s0), i1 = (int)(k / ne.s0 % ne.s1);
        const int i2 = (int)(k / ((long)ne.s0 * ne.s1) % ne.s2);
        const int i3 = (int)(k / ((long)ne.s0 * ne.s1 * ne.s2));
        c += *(const global int *)AT(src0, i0, i1, i2, i3) ==
             *(const global int *)AT(src1, i0, i1, i2, i3);
    }
    scratch[lid] = c;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = n / 2; s > 0; s /= 2) {
        if (lid < s) {
            scratch[lid] += scratch[lid + s];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) {
        *(global long *)(dst + dst_offs) = scratch[0];
    }
}
