//! The machinery of the fault matrix: scratch data, the launcher, and one case's run and
//! verdict.
#![allow(dead_code)]

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ndarray::{Array2, Array3};
use ndarray_npy::WriteNpyExt;

/// Ranks every case runs on.
pub const RANKS: usize = 4;
/// Every rank must have exited this long after the job started.
const LIMIT: Duration = Duration::from_secs(10);
/// A job still running after this is killed (and fails its case).
const KILL_AFTER: Duration = Duration::from_secs(30);
/// What an earlier model file holds; a failed fit must leave it so.
const EARLIER_MODEL: &str = "an earlier model\n";

/// The `mpirun` that runs the binary as several ranks.
pub struct Launcher {
    command: Vec<String>,
    binary: PathBuf,
}

impl Launcher {
    /// `SPMD_MPIRUN` or `mpirun`, where the binary was built with the `mpi` feature; `None`
    /// (the matrix is skipped, saying so) otherwise.
    pub fn find() -> Option<Self> {
        if !cfg!(feature = "mpi") {
            eprintln!("fault matrix skipped: built without the `mpi` feature");
            return None;
        }
        let command: Vec<String> = std::env::var("SPMD_MPIRUN")
            .unwrap_or_else(|_| "mpirun".into())
            .split_whitespace()
            .map(String::from)
            .collect();
        let found = Command::new(&command[0])
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            found,
            "the mpi feature is on but `{}` does not run",
            command[0]
        );
        Some(Self {
            command,
            binary: PathBuf::from(env!("CARGO_BIN_EXE_spmd-learn")),
        })
    }
}

/// A directory of test data, made afresh under Cargo's per-target scratch directory and removed
/// when dropped.
pub struct Scratch {
    root: PathBuf,
}

/// One rank's file of a sharded input.
pub enum Shard {
    Good(Array2<f64>),
    BigEndian(Array2<f64>),
    Integers(usize, usize),
    Truncated,
    Garbage,
    Scalar,
    ThreeD,
    Strings,
    Half,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

impl Scratch {
    pub fn new(name: &str) -> Self {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("spmd-learn-{name}"));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        Self { root }
    }

    /// The path of `name` in the scratch directory.
    pub fn path(&self, name: &str) -> String {
        self.root.join(name).to_string_lossy().into_owned()
    }

    /// `name_{rank}.npy` in the scratch directory.
    pub fn pattern(&self, name: &str) -> String {
        self.path(&format!("{name}_{{rank}}.npy"))
    }

    /// One `.npy` per rank of `rows(rank)`; the `{rank}` pattern.
    pub fn shards(&self, name: &str, rows: impl Fn(usize) -> Array2<f64>) -> String {
        self.shards_with(name, |r| Shard::Good(rows(r)))
    }

    /// One file per rank of `shard(rank)`; the `{rank}` pattern.
    pub fn shards_with(&self, name: &str, shard: impl Fn(usize) -> Shard) -> String {
        for rank in 0..RANKS {
            let path = self.path(&format!("{name}_{rank}.npy"));
            let file = || std::fs::File::create(&path).unwrap();
            match shard(rank) {
                Shard::Good(a) => a.write_npy(file()).unwrap(),
                Shard::Integers(n, d) => {
                    Array2::from_shape_fn((n, d), |(i, j)| (i * d + j) as i32 - 7)
                        .write_npy(file())
                        .unwrap()
                }
                Shard::Scalar => ndarray::arr0(1.0_f64).write_npy(file()).unwrap(),
                Shard::ThreeD => Array3::<f64>::zeros((2, 2, 2)).write_npy(file()).unwrap(),
                Shard::BigEndian(a) => {
                    let data: Vec<u8> = a.iter().flat_map(|v| v.to_be_bytes()).collect();
                    std::fs::write(&path, npy_bytes(">f8", a.dim(), &data)).unwrap();
                }
                Shard::Truncated => {
                    std::fs::write(&path, npy_bytes("<f8", (40, 3), &[0; 100])).unwrap()
                }
                Shard::Garbage => std::fs::write(&path, b"this is not an array").unwrap(),
                Shard::Strings => {
                    std::fs::write(&path, npy_bytes("<U3", (40, 1), &[0; 480])).unwrap()
                }
                Shard::Half => std::fs::write(&path, npy_bytes("<f2", (40, 3), &[0; 240])).unwrap(),
            }
        }
        self.pattern(name)
    }

    /// One `.npy` of `rows`.
    pub fn file(&self, name: &str, rows: Array2<f64>) -> String {
        let path = self.path(name);
        rows.write_npy(std::fs::File::create(&path).unwrap())
            .unwrap();
        path
    }

    /// A text file.
    pub fn text(&self, name: &str, text: &str) -> String {
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// A `.csv` file the ranks share.
    pub fn csv(&self, name: &str, text: &str) -> String {
        self.text(&format!("{name}.csv"), text)
    }

    /// `name_{rank}.npy` shards of good rows on every rank but `missing`.
    pub fn missing_on(&self, name: &str, missing: usize) -> String {
        let pattern = self.shards(name, |r| rows(r, 40, 3));
        std::fs::remove_file(self.path(&format!("{name}_{missing}.npy"))).unwrap();
        pattern
    }

    /// A model of `estimator` fitted (by one process) on rank 0's shard of `x` and `y`.
    pub fn model(&self, estimator: &str, x: &str, y: &str) -> String {
        let out = self.path(&format!("{estimator}.json"));
        let status = Command::new(env!("CARGO_BIN_EXE_spmd-learn"))
            .args(["fit", estimator, "--x", x, "--y", y, "--out", &out])
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(
            status.success(),
            "fitting the {estimator} model the cases use"
        );
        out
    }
}

/// A version-1 `.npy` of `descr` and `shape` holding `data`: the magic string, the header's
/// length, the header padded with spaces to a multiple of 64 bytes, then the data.
fn npy_bytes(descr: &str, (rows, cols): (usize, usize), data: &[u8]) -> Vec<u8> {
    let dict =
        format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    let padding = 63 - (10 + dict.len()) % 64;
    let header = format!("{dict}{}\n", " ".repeat(padding));
    [
        b"\x93NUMPY\x01\x00".as_slice(),
        &(header.len() as u16).to_le_bytes(),
        header.as_bytes(),
        data,
    ]
    .concat()
}

/// Rank `rank`'s `n x d` rows of one smooth data set.
pub fn rows(rank: usize, n: usize, d: usize) -> Array2<f64> {
    Array2::from_shape_fn((n, d), |(i, j)| {
        let g = (rank * 1000 + i) as f64;
        (g * 0.37 + j as f64 * 1.3).sin() * (j + 1) as f64
    })
}

/// Targets for [`rows`]: a linear function of them plus a little curvature.
pub fn targets(rank: usize, n: usize) -> Array2<f64> {
    let x = rows(rank, n, 3);
    Array2::from_shape_fn((n, 1), |(i, _)| {
        1.0 + x[[i, 0]] - 2.0 * x[[i, 1]] + 0.5 * x[[i, 2]] + 0.01 * (i as f64).cos()
    })
}

/// `n` labels cycling through `k` classes.
pub fn classes(rank: usize, n: usize, k: usize) -> Array2<f64> {
    Array2::from_shape_fn((n, 1), |(i, _)| ((rank + i) % k) as f64)
}

/// A column of `n` ones.
pub fn ones(n: usize) -> Array2<f64> {
    Array2::ones((n, 1))
}

/// `a` with `value` at row 0, column 1 (column 0 of one column) where `here`.
pub fn poison(mut a: Array2<f64>, here: bool, value: f64) -> Array2<f64> {
    if here && a.nrows() > 0 {
        let column = 1.min(a.ncols() - 1);
        a[[0, column]] = value;
    }
    a
}

/// A case's command line after `spmd-learn`.
#[derive(Clone)]
pub struct Args {
    words: Vec<String>,
    out: Option<String>,
}

pub fn args(words: &[&str]) -> Args {
    Args {
        words: words.iter().map(|w| w.to_string()).collect(),
        out: None,
    }
}

impl Args {
    pub fn arg(mut self, word: &str) -> Self {
        self.words.push(word.into());
        self
    }

    /// The model file of a `fit` (otherwise one in the scratch directory).
    pub fn out(mut self, path: &str) -> Self {
        self.out = Some(path.into());
        self
    }
}

enum Expect {
    Success,
    Failure(Vec<String>),
}

/// One fault and what must happen.
pub struct Case {
    pub name: &'static str,
    args: Args,
    env: Vec<(String, String)>,
    expect: Expect,
    written: Option<String>,
    untouched: Option<String>,
    memory_limit_kb: Option<u64>,
    kill: Option<(usize, f64)>,
    foreign_launcher: bool,
}

impl Case {
    pub fn new(name: &'static str, args: Args) -> Self {
        Self {
            name,
            args,
            env: Vec::new(),
            expect: Expect::Success,
            written: None,
            untouched: None,
            memory_limit_kb: None,
            kill: None,
            foreign_launcher: false,
        }
    }
    pub fn succeeds(mut self) -> Self {
        self.expect = Expect::Success;
        self
    }
    /// Fails, and the output says each of `words`.
    pub fn fails(mut self, words: &[&str]) -> Self {
        self.expect = Expect::Failure(words.iter().map(|w| w.to_string()).collect());
        self
    }
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }
    /// The `{rank}` output every rank must have written.
    pub fn writes(mut self, pattern: &str) -> Self {
        self.written = Some(pattern.into());
        self
    }
    /// The `{rank}` output no rank may have written.
    pub fn writes_nothing(mut self, pattern: &str) -> Self {
        self.untouched = Some(pattern.into());
        self
    }
    pub fn memory_limit_kb(mut self, kb: u64) -> Self {
        self.memory_limit_kb = Some(kb);
        self
    }
    /// SIGKILL rank `rank` `seconds` after the start.
    pub fn kill_rank_after(mut self, rank: usize, seconds: f64) -> Self {
        self.kill = Some((rank, seconds));
        self
    }
    /// Start the ranks with another MPI's launcher than the one the binary is linked to.
    pub fn foreign_launcher(mut self) -> Self {
        self.foreign_launcher = true;
        self
    }

    fn slug(&self) -> String {
        self.name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect()
    }

    /// Runs the case and judges it.
    pub fn run(&self, launcher: &Launcher, dir: &Scratch) -> Report {
        let mut words = self.args.words.clone();
        let model = (words.first().map(String::as_str) == Some("fit")).then(|| {
            let model = self
                .args
                .out
                .clone()
                .unwrap_or_else(|| dir.path(&format!("model_{}.json", self.slug())));
            words.extend(["--out".to_string(), model.clone()]);
            // An earlier model that a failed fit must leave as it was (where it can be written).
            std::fs::write(&model, EARLIER_MODEL).ok().map(|_| model)
        });
        let model = model.flatten();
        for pattern in self.untouched.iter().chain(&self.written) {
            for rank in 0..RANKS {
                let _ = std::fs::remove_file(pattern.replace("{rank}", &rank.to_string()));
            }
        }
        let marker = format!("{}_{}", self.slug(), std::process::id());
        let start = Instant::now();
        let mut child = self
            .command(launcher, &words, &marker)
            .spawn()
            .expect("launcher starts");
        let (stdout, stderr) = (drain(child.stdout.take()), drain(child.stderr.take()));
        let status = self.wait(&mut child, start, &marker);
        let elapsed = start.elapsed();
        let output = format!(
            "{}{}",
            stdout.join().unwrap_or_default(),
            stderr.join().unwrap_or_default()
        );
        let verdict = self.judge(status, elapsed, &output, model.as_deref(), &marker);
        Report {
            elapsed,
            stderr: output,
            verdict,
        }
    }

    fn command(&self, launcher: &Launcher, words: &[String], marker: &str) -> Command {
        let binary = launcher.binary.to_string_lossy().into_owned();
        let mut job: Vec<String> = if self.foreign_launcher {
            foreign_launch(&binary)
        } else {
            let mut job = launcher.command.clone();
            job.extend(["-n".into(), RANKS.to_string(), binary]);
            job
        };
        job.extend(words.iter().cloned());
        let mut command = match self.memory_limit_kb {
            Some(kb) => {
                let mut c = Command::new("bash");
                c.args(["-c", "ulimit -v \"$0\" && exec \"$@\"", &kb.to_string()]);
                c.args(&job);
                c
            }
            None => {
                let mut c = Command::new(&job[0]);
                c.args(&job[1..]);
                c
            }
        };
        command
            .env("SPMD_FAULT_CASE", marker)
            .env("NO_COLOR", "1")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        command
    }

    /// Waits for the job (killing a rank on the way where the case asks), then kills whatever
    /// is left after [`KILL_AFTER`]. `None`: it had to be killed.
    fn wait(
        &self,
        child: &mut Child,
        start: Instant,
        marker: &str,
    ) -> Option<std::process::ExitStatus> {
        let mut killed = false;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            if let Some((rank, seconds)) = self.kill {
                if !killed && start.elapsed().as_secs_f64() >= seconds {
                    for pid in rank_pids(marker, Some(rank)) {
                        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
                    }
                    killed = true;
                }
            }
            if start.elapsed() > KILL_AFTER {
                let group = format!("-{}", child.id());
                let _ = Command::new("kill").args(["-9", "--", &group]).status();
                let _ = child.wait();
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn judge(
        &self,
        status: Option<std::process::ExitStatus>,
        elapsed: Duration,
        output: &str,
        model: Option<&str>,
        marker: &str,
    ) -> Result<(), String> {
        let Some(status) = status else {
            return Err(format!("still running after {KILL_AFTER:?}: killed"));
        };
        if elapsed > LIMIT {
            return Err(format!("took {elapsed:.1?}, over {LIMIT:?}"));
        }
        let left = rank_pids(marker, None);
        if !left.is_empty() {
            return Err(format!("ranks still running after the job ended: {left:?}"));
        }
        let model_text = model.map(|m| std::fs::read_to_string(m).unwrap_or_default());
        match &self.expect {
            Expect::Success => {
                if !status.success() {
                    return Err(format!("expected success, got {status}"));
                }
                if let Some(text) = &model_text {
                    if !text.contains("\"estimator\"") {
                        return Err("no model was written".into());
                    }
                }
                if let Some(pattern) = &self.written {
                    for rank in 0..RANKS {
                        let path = pattern.replace("{rank}", &rank.to_string());
                        if !Path::new(&path).exists() {
                            return Err(format!("{path} was not written"));
                        }
                    }
                }
            }
            Expect::Failure(words) => {
                if status.success() {
                    return Err("expected a failure, but the job succeeded".into());
                }
                if let Some(missing) = words.iter().find(|w| !output.contains(w.as_str())) {
                    return Err(format!("the output does not say `{missing}`"));
                }
                if model_text.is_some_and(|t| t != EARLIER_MODEL) {
                    return Err("the earlier model file was changed".into());
                }
                if let Some(pattern) = &self.untouched {
                    for rank in 0..RANKS {
                        let path = pattern.replace("{rank}", &rank.to_string());
                        if Path::new(&path).exists() {
                            return Err(format!("{path} was written by a failed job"));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// The job's command line under another MPI's launcher: MPICH's `mpiexec.mpich` where it is
/// installed, otherwise four plain processes with the variables MPICH's Hydra sets.
fn foreign_launch(binary: &str) -> Vec<String> {
    let mpich = Command::new("mpiexec.mpich")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if mpich {
        return vec![
            "mpiexec.mpich".into(),
            "-n".into(),
            RANKS.to_string(),
            binary.into(),
        ];
    }
    let script = format!(
        "fail=0; pids=(); for r in $(seq 0 {}); do PMI_SIZE={RANKS} PMI_RANK=$r \"$0\" \"$@\" & \
         pids+=($!); done; for p in \"${{pids[@]}}\"; do wait $p || fail=1; done; exit $fail",
        RANKS - 1
    );
    vec!["bash".into(), "-c".into(), script, binary.into()]
}

/// The processes of a case's job (all ranks, or the one of `rank`), found by its marker.
fn rank_pids(marker: &str, rank: Option<usize>) -> Vec<u32> {
    let mut pids = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return pids;
    };
    let wanted = format!("SPMD_FAULT_CASE={marker}");
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(exe) = std::fs::read_link(entry.path().join("exe")) else {
            continue;
        };
        if !exe.to_string_lossy().contains("spmd-learn") {
            continue;
        }
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        let vars: Vec<&[u8]> = environ.split(|b| *b == 0).collect();
        if !vars.contains(&wanted.as_bytes()) {
            continue;
        }
        // Open MPI's rank, or Slurm's under srun.
        let of_rank = |r: usize| {
            [
                format!("OMPI_COMM_WORLD_RANK={r}"),
                format!("SLURM_PROCID={r}"),
            ]
            .iter()
            .any(|v| vars.contains(&v.as_bytes()))
        };
        if rank.is_none_or(of_rank) {
            pids.push(pid);
        }
    }
    pids
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_string(&mut text);
        }
        text
    })
}

/// A case's outcome.
pub struct Report {
    elapsed: Duration,
    pub stderr: String,
    pub verdict: Result<(), String>,
}

impl Report {
    pub fn summary(&self) -> String {
        let status = if self.verdict.is_ok() { "ok" } else { "FAILED" };
        format!("{status} ({:.2} s)", self.elapsed.as_secs_f64())
    }
}
