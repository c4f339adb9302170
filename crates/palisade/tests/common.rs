//! Shared helpers for the binary's integration tests.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};

use serde_json::Value;

use assert_cmd::Command;

/// stdout, stderr and exit status of a finished run (-1 when killed by a signal).
pub fn texts(output: std::process::Output) -> (String, String, i32) {
    (
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
        output.status.code().unwrap_or(-1),
    )
}

/// `palisade fix ARGS` run in `dir`.
pub fn fix_in(dir: &Path, args: &[&str]) -> (String, String, i32) {
    texts(
        palisade()
            .current_dir(dir)
            .arg("fix")
            .args(args)
            .output()
            .unwrap(),
    )
}

pub fn palisade() -> Command {
    let mut cmd = Command::cargo_bin("palisade").expect("binary builds");
    cmd.env("NO_COLOR", "1");
    // Reports record when they were made; a fixed time keeps them comparable byte for byte.
    cmd.env("PALISADE_REPORT_TIME", REPORT_TIME);
    cmd.env_remove("SOURCE_DATE_EPOCH");
    cmd
}

/// The time every report of these tests says it was generated at.
pub const REPORT_TIME: &str = "2025-03-01T12:00:00Z";

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `../shared` beside the repository, when present.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let path = repo_root().join("../shared").join(rel);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("SKIPPED: {} not found", path.display());
        None
    }
}

/// Runs a scan and parses its JSON report.
pub fn scan_json(args: &[&str]) -> (serde_json::Value, i32) {
    let output = palisade()
        .arg("scan")
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    let text = String::from_utf8(output.stdout).expect("utf-8");
    let json = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {text}\nstderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (json, output.status.code().unwrap_or(-1))
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path
}

pub fn controls_of(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["control"].as_str().unwrap().to_string())
        .collect()
}

/// Receives webhook POSTs on 127.0.0.1 and hands over their JSON bodies.
pub fn webhook_receiver() -> (String, Receiver<Value>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let tx = tx.clone();
            std::thread::spawn(move || serve_one(stream, &tx));
        }
    });
    (url, rx)
}

fn serve_one(mut stream: TcpStream, tx: &Sender<Value>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    loop {
        let mut length = 0usize;
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            if header == "\r\n" {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        if let Ok(json) = serde_json::from_slice(&body) {
            let _ = tx.send(json);
        }
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
    }
}
