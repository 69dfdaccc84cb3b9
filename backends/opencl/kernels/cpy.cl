// CPY, CONT, DUP: element k of src0 (in ne order: i0 fastest) goes to element k of dst, whose
// ne may differ (same element count). Same type: the element's bytes are copied exactly;
// f32 <-> f16: converted (round to nearest even). One work-item per src0 element.

kernel void cpy(TENSOR(src0), TENSOR(dst)) {
    ELEMENT(k, src0_ne, i0, i1, i2, i3);
    const int d0 = (int)(k % dst_ne.s0);
    const int d1 = (int)(k / dst_ne.s0 % dst_ne.s1);
    const int d2 = (int)(k / ((long)dst_ne.s0 * dst_ne.s1) % dst_ne.s2);
    const int d3 = (int)(k / ((long)dst_ne.s0 * dst_ne.s1 * dst_ne.s2));
    const global char *from = AT(src0, i0, i1, i2, i3);
    global char *to = AT(dst, d0, d1, d2, d3);
    if (src0_type != dst_type) {
        store_f(to, dst_type, load_f(from, src0_type));
    } else if (src0_type == TYPE_F16) {
        *(global ushort *)to = *(const global ushort *)from;
    } else {
        *(global uint *)to = *(const global uint *)from;
    }
}
