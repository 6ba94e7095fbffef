//! Every kernel in `shaders/` (after the shared `common.wgsl`) parses and validates with naga, in
//! f32 and f64, without a GPU.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use naga::valid::{Capabilities, ValidationFlags, Validator};
use spmd_gpu::Precision;

fn validate(name: &str, source: &str) {
    let module = naga::front::wgsl::parse_str(source)
        .unwrap_or_else(|e| panic!("{name}: {}", e.emit_to_string(source)));
    // Kernels named for subgroups are built only where the adapter has them.
    let mut validator = if name.contains("subgroup") {
        let mut v = Validator::new(
            ValidationFlags::all(),
            Capabilities::FLOAT64 | Capabilities::SUBGROUP,
        );
        v.subgroup_stages(naga::valid::ShaderStages::COMPUTE)
            .subgroup_operations(naga::valid::SubgroupOperationSet::all());
        v
    } else if name.ends_with("_int64") {
        // Built only where the adapter has 64-bit integers.
        Validator::new(
            ValidationFlags::all(),
            Capabilities::FLOAT64 | Capabilities::SHADER_INT64,
        )
    } else {
        Validator::new(ValidationFlags::all(), Capabilities::FLOAT64)
    };
    validator
        .validate(&module)
        .unwrap_or_else(|e| panic!("{name}: {e:?}"));
}

#[test]
fn every_shader_validates_in_both_precisions() {
    for (name, source) in spmd_gpu::SHADERS {
        validate(name, &Precision::F32.specialise(source));
        validate(name, &Precision::F64.specialise(source));
    }
}

#[test]
fn every_file_in_shaders_is_registered() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shaders");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("shaders/ exists")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|f| f.ends_with(".wgsl"))
        .filter(|f| !spmd_gpu::SHARED_PARTS.contains(&f.trim_end_matches(".wgsl")))
        .collect();
    files.sort();
    // A kernel's `_int64` twin is the same file with 64-bit integer parts.
    let mut registered: Vec<String> = spmd_gpu::SHADERS
        .iter()
        .map(|(n, _)| format!("{}.wgsl", n.trim_end_matches("_int64")))
        .collect();
    registered.sort();
    registered.dedup();
    assert_eq!(files, registered);
}
