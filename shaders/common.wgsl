// Shared by every kernel: the host puts this file before each kernel's own source.
//
// `Real` is the element type the host specialises (f32, or f64 where the adapter has
// SHADER_F64). Every kernel runs workgroups of 64 invocations over a 2-D grid of workgroups
// (one dimension is limited to 65535), and numbers its invocations 0, 1, ... with `flat_index`.

alias Real = f32;

struct Invocation {
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lane: u32,
}

fn flat_index(id: Invocation) -> u32 {
    return (id.group.y * id.groups.x + id.group.x) * 64u + id.lane;
}
