//! "CLI load + fit" rows: `spmd-learn fit` timed as whole processes on `.npy` files (one
//! process, then `mpirun -n 2`), with each run's peak resident memory, next to daal4py's
//! `np.load` + fit of the same files in the same run (`bench/daal4py_bench.py --cli-files`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use ndarray::{Array1, Array2};
use ndarray_npy::WriteNpyExt;

/// One timed command: the best wall time of `repeats` runs and the largest peak RSS of a
/// process in them.
struct Timing {
    seconds: f64,
    peak_rss_bytes: u64,
}

/// Runs `command` to completion `repeats` times; its output goes to `log` (shown on failure).
fn time_runs(mut command: Command, repeats: usize, log: &Path) -> Result<Timing, String> {
    let mut timing = Timing {
        seconds: f64::INFINITY,
        peak_rss_bytes: 0,
    };
    for _ in 0..repeats.max(1) {
        let output = std::fs::File::create(log).map_err(|e| e.to_string())?;
        let errors = output.try_clone().map_err(|e| e.to_string())?;
        command.stdout(output).stderr(errors);
        let start = Instant::now();
        let child = command.spawn().map_err(|e| format!("{command:?}: {e}"))?;
        let (status, rss) = wait_with_peak_rss(child.id())?;
        let seconds = start.elapsed().as_secs_f64();
        if !status {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            return Err(format!("{command:?} failed:\n{text}"));
        }
        timing.seconds = timing.seconds.min(seconds);
        timing.peak_rss_bytes = timing.peak_rss_bytes.max(rss);
    }
    Ok(timing)
}

/// Waits for process `pid`; whether it succeeded, and the peak RSS of it or of the largest of
/// its descendants it waited for (`ru_maxrss`, so each rank under mpirun).
fn wait_with_peak_rss(pid: u32) -> Result<(bool, u64), String> {
    let mut status = 0;
    // SAFETY: `rusage` is plain old data that wait4 fills in; zeroed is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own child, not yet waited for; both pointers are valid for writes.
    let waited = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
    if waited < 0 {
        return Err(format!("wait4: {}", std::io::Error::last_os_error()));
    }
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    Ok((ok, usage.ru_maxrss.max(0) as u64 * 1024))
}

/// The data files in `dir` (as `data` generates them for the in-memory rows).
pub struct Files {
    linear_x: PathBuf,
    linear_y: PathBuf,
    kmeans_x: PathBuf,
    kmeans_init: PathBuf,
}

fn write_npy<A: WriteNpyExt>(path: &Path, a: &A) -> Result<(), String> {
    if path.exists() {
        return Ok(());
    }
    let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    a.write_npy(std::io::BufWriter::new(file))
        .map_err(|e| format!("{}: {e}", path.display()))
}

impl Files {
    fn in_dir(dir: &Path) -> Self {
        Files {
            linear_x: dir.join("linear_x_2000000x32.npy"),
            linear_y: dir.join("linear_y_2000000.npy"),
            kmeans_x: dir.join("kmeans_x_1000000x32_f32.npy"),
            kmeans_init: dir.join("kmeans_init_10x32.npy"),
        }
    }

    fn all_exist(&self) -> bool {
        [
            &self.linear_x,
            &self.linear_y,
            &self.kmeans_x,
            &self.kmeans_init,
        ]
        .iter()
        .all(|p| p.exists())
    }
}

/// Writes the data files that are missing (`bench --write-cli-files DIR`). It runs as a process
/// of its own: Linux carries a spawning process's peak memory into its children's `ru_maxrss`,
/// so the process that times the CLI must never have held the data.
pub fn write_files(
    dir: &Path,
    data: &dyn Fn(usize, usize) -> (Array2<f64>, Array1<f64>),
) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let files = Files::in_dir(dir);
    if !files.linear_x.exists() || !files.linear_y.exists() {
        let (x, y) = data(2_000_000, 32);
        write_npy(&files.linear_x, &x)?;
        write_npy(&files.linear_y, &y)?;
    }
    if !files.kmeans_x.exists() {
        write_npy(&files.kmeans_x, &data(1_000_000, 32).0.mapv(|v| v as f32))?;
    }
    write_npy(&files.kmeans_init, &data(10, 32).0)?;
    Ok(())
}

/// Prints the rows; `data(rows, cols)` makes the same data as the in-memory rows.
pub fn run(
    binary: &Path,
    dir: &Path,
    repeats: usize,
    python: Option<&str>,
    gpu: bool,
    peak_gbs: Option<f64>,
) -> Result<(), Box<dyn std::error::Error>> {
    let f = Files::in_dir(dir);
    written_by_child(("--write-cli-files", dir), || f.all_exist())?;
    let model = dir.join("model.json");
    let path = |p: &Path| p.display().to_string();
    let workloads: Vec<(&str, &str, u64, Vec<String>)> = vec![
        (
            "linear",
            "2000000 x 32 f64",
            2_000_000 * 32 * 8,
            vec![
                "fit".into(),
                "linear-regression".into(),
                "--x".into(),
                path(&f.linear_x),
                "--y".into(),
                path(&f.linear_y),
                "--out".into(),
                path(&model),
            ],
        ),
        (
            "kmeans32",
            "1000000 x 32 f32",
            1_000_000 * 32 * 4,
            vec![
                "fit".into(),
                "kmeans".into(),
                "--x".into(),
                path(&f.kmeans_x),
                "--param".into(),
                "n_clusters=10".into(),
                "--param".into(),
                format!("init={}", path(&f.kmeans_init)),
                "--param".into(),
                "max_iter=20".into(),
                "--param".into(),
                "tol=0".into(),
                "--out".into(),
                path(&model),
            ],
        ),
    ];
    if gpu {
        return gpu_rows(binary, dir, repeats, &workloads, peak_gbs);
    }
    println!();
    println!("| ranks | workload | rows x features | who | load + fit s | peak RSS MB (per process) | RSS / file |");
    println!("|---|---|---|---|---|---|---|");
    let mpirun = std::env::var("SPMD_MPIRUN").unwrap_or_else(|_| "mpirun".into());
    for (name, shape, file_bytes, args) in &workloads {
        for ranks in [1, 2] {
            let mut command = if ranks == 1 {
                Command::new(binary)
            } else {
                let mut words = mpirun.split_whitespace();
                let mut c = Command::new(words.next().unwrap_or("mpirun"));
                c.args(words).args(["-n", "2"]).arg(binary);
                c
            };
            command.args(args);
            let t = time_runs(command, repeats, &dir.join("cli.log"))?;
            let rss = t.peak_rss_bytes as f64;
            println!(
                "| {ranks} | {name} | {shape} | spmd-learn CLI | {:.3} | {:.0} | {:.2} |",
                t.seconds,
                rss / 1e6,
                rss / *file_bytes as f64
            );
        }
    }
    // The peer, on the same files in the same minutes.
    if let Some(python) = python {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/daal4py_bench.py");
        let status = Command::new(python)
            .arg(script)
            .args(["--cli-files", &path(dir), "--repeats", &repeats.to_string()])
            .status();
        if !status.is_ok_and(|s| s.success()) {
            eprintln!("the daal4py rows did not run ({python}: needs numpy and daal4py)");
        }
    }
    Ok(())
}

/// The same workloads with `--gpu`, one process, each with the traffic line its queue prints
/// (`SPMD_GPU_STATS=1`) and, where the adapter has timestamp queries, the rate its kernels read
/// the file at (and the share of `peak_gbs`, the adapter's memory bandwidth, when given).
fn gpu_rows(
    binary: &Path,
    dir: &Path,
    repeats: usize,
    workloads: &[(&str, &str, u64, Vec<String>)],
    peak_gbs: Option<f64>,
) -> Result<(), Box<dyn std::error::Error>> {
    println!();
    println!("| workload | rows x features | load + fit s (`--gpu`) | GPU traffic of one fit | file GB / kernel s | share of peak |");
    println!("|---|---|---|---|---|---|");
    for (name, shape, file_bytes, args) in workloads {
        let log = dir.join("cli-gpu.log");
        let mut command = Command::new(binary);
        command.args(args).arg("--gpu").env("SPMD_GPU_STATS", "1");
        let t = time_runs(command, repeats, &log)?;
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let stats = text
            .lines()
            .find_map(|l| l.strip_prefix("gpu stats: rank=0 "))
            .unwrap_or("(no stats line)");
        let kernel_s = stats
            .split(' ')
            .find_map(|f| f.strip_prefix("kernel_ms="))
            .and_then(|ms| ms.parse::<f64>().ok())
            .map(|ms| ms / 1e3);
        let rate = kernel_s.map(|s| *file_bytes as f64 / s / 1e9);
        let show =
            |v: Option<f64>, digits: usize| v.map_or("na".into(), |v| format!("{v:.digits$}"));
        let share = rate.zip(peak_gbs).map(|(r, p)| 100.0 * r / p);
        println!(
            "| {name} | {shape} | {:.3} | {stats} | {} | {} |",
            t.seconds,
            show(rate, 3),
            show(share, 1).replace("na", "na (no --gpu-peak-gbs)")
        );
    }
    Ok(())
}

/// Makes sure the data files in `dir` exist (`exist()`): where they do not, this program
/// writes them in a child process run with `flag dir`, so that the process timing the CLI
/// never held the data (see [`write_files`]).
pub(crate) fn written_by_child(
    (flag, dir): (&str, &Path),
    exist: impl Fn() -> bool,
) -> Result<(), Box<dyn std::error::Error>> {
    if exist() {
        return Ok(());
    }
    let status = Command::new(std::env::current_exe()?)
        .arg(flag)
        .arg(dir)
        .status()?;
    if !status.success() || !exist() {
        return Err(format!("writing the data files in {} failed", dir.display()).into());
    }
    Ok(())
}
