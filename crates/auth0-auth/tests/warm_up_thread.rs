//! The warm-up thread itself, watched through `/proc/self/task` (Linux): `warm_up(false)` starts
//! no thread, the default starts one, and a later client starts no other.
//!
//! The watching is made deterministic by running the checks in a child process whose
//! `SSL_CERT_FILE` is a named pipe: the warm-up thread's CA roots load blocks opening it until
//! the test writes to it, so a warm-up thread, once started, stays visible until released.
//! Bounded waits only; no timing is asserted.

#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use auth0_auth::AuthClient;

/// The warm-up thread's name as the kernel keeps it (cut to 15 bytes).
const THREAD_NAME: &str = "auth0-auth-warm";
/// Every wait is bounded by this.
const LIMIT: Duration = Duration::from_secs(30);
/// How long a thread that must not appear is given to appear anyway.
const WATCH: Duration = Duration::from_millis(100);
/// The variable that tells the inner test it runs in the child process.
const INNER_VAR: &str = "AUTH0_AUTH_WARM_UP_THREAD_INNER";
/// What the inner test prints when it ran to its end.
const INNER_MARKER: &str = "WARM-UP-INNER-OK";

#[test]
fn the_warm_up_starts_one_thread_once_and_none_when_turned_off() {
    let dir = TempDir::new();
    let fifo = dir.0.join("roots.pipe");
    let empty_dir = dir.0.join("no-roots");
    std::fs::create_dir(&empty_dir).expect("the empty CA directory is made");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo failed");

    let out = dir.0.join("stdout.txt");
    let err = dir.0.join("stderr.txt");
    let mut child = Command::new(std::env::current_exe().expect("the test binary is known"))
        .args(["--exact", "inner", "--ignored", "--nocapture"])
        .env("SSL_CERT_FILE", &fifo)
        .env("SSL_CERT_DIR", &empty_dir)
        .env(INNER_VAR, "1")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).expect("the stdout file is made"))
        .stderr(std::fs::File::create(&err).expect("the stderr file is made"))
        .spawn()
        .expect("the test binary starts again");
    let deadline = Instant::now() + LIMIT * 2;
    let status = loop {
        if let Some(status) = child.try_wait().expect("the child can be waited for") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the inner test did not finish in time\n{}",
                output(&out, &err)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        status.success(),
        "the inner test failed\n{}",
        output(&out, &err)
    );
    let stdout = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(
        stdout.lines().any(|l| l.trim() == INNER_MARKER),
        "the inner test did not run to its end\n{}",
        output(&out, &err)
    );
}

#[test]
#[ignore = "run in a child process by the_warm_up_starts_one_thread_once_and_none_when_turned_off"]
fn inner() {
    if std::env::var_os(INNER_VAR).is_none() {
        return;
    }
    let fifo = PathBuf::from(std::env::var_os("SSL_CERT_FILE").expect("the pipe is given"));
    // Builds make no request, so nothing needs to listen here.
    let builder = || AuthClient::builder("http://127.0.0.1:9", "client-id").client_secret("s");

    // Off: no thread (one started by mistake would stay, blocked on the pipe).
    let _off = builder().warm_up(false).build().expect("the client builds");
    std::thread::sleep(WATCH);
    assert_eq!(warm_up_threads(), 0, "warm_up(false) started the warm-up");

    // On (the default): one thread, held on the pipe.
    let _on = builder().build().expect("the client builds");
    let deadline = Instant::now() + LIMIT;
    while warm_up_threads() == 0 {
        assert!(
            Instant::now() < deadline,
            "the default build started no warm-up thread"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    // A later client starts no other (one would wait on the first's load, and show).
    let _again = builder().build().expect("the client builds");
    std::thread::sleep(WATCH);
    assert_eq!(
        warm_up_threads(),
        1,
        "a later client started another warm-up"
    );

    // Released (no roots in the pipe), the thread ends.
    release(&fifo);
    let deadline = Instant::now() + LIMIT;
    while warm_up_threads() > 0 {
        assert!(
            Instant::now() < deadline,
            "the warm-up thread did not end once released"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    println!("\n{INNER_MARKER}");
}

/// How many live threads of this process bear the warm-up's name.
fn warm_up_threads() -> usize {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(Result::ok)
        .filter_map(|task| std::fs::read_to_string(task.path().join("comm")).ok())
        .filter(|comm| comm.trim_end() == THREAD_NAME)
        .count()
}

/// Opens the pipe for writing and closes it (an empty file of roots), bounded: opening blocks
/// until the warm-up thread has it open for reading.
fn release(fifo: &Path) {
    let (done, finished) = mpsc::channel();
    let fifo = fifo.to_path_buf();
    std::thread::spawn(move || {
        let opened = std::fs::OpenOptions::new().write(true).open(&fifo);
        let _ = done.send(opened.is_ok());
    });
    assert_eq!(
        finished.recv_timeout(LIMIT),
        Ok(true),
        "the warm-up thread never opened the pipe"
    );
}

fn output(out: &Path, err: &Path) -> String {
    format!(
        "--- stdout ---\n{}\n--- stderr ---\n{}",
        std::fs::read_to_string(out).unwrap_or_default(),
        std::fs::read_to_string(err).unwrap_or_default()
    )
}

/// A fresh directory under the system's temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let path =
            std::env::temp_dir().join(format!("auth0-auth-warm-up-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&path).expect("a fresh temporary directory is made");
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
