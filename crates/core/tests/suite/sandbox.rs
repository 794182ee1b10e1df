//! The OS sandbox against real processes: each command runs through the `autowork-sandbox`
//! launcher in temp dirs, and the test checks what the command could and could not do.
//! Where this machine cannot enforce something (`sandbox::support()`), the test asserts the
//! documented fallback instead: the command is not restricted.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use autowork_core::sandbox::{self, Launcher, SandboxPolicy, Support, LAUNCHER_ARG};
use pretty_assertions::assert_eq;

fn launcher() -> Launcher {
    Launcher::new(env!("CARGO_BIN_EXE_autowork-sandbox"))
}

fn support() -> &'static Support {
    sandbox::init_support(&launcher())
}

/// `<tmp>/{work,temp,home,data,outside}`; home holds `.ssh/id_rsa` and `notes.txt`.
struct Sandbox {
    _dir: tempfile::TempDir,
    root: PathBuf,
    policy: SandboxPolicy,
}

impl Sandbox {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(dir.path()).unwrap();
        for sub in ["work", "temp", "home/.ssh", "data/autowork", "outside"] {
            fs::create_dir_all(root.join(sub)).unwrap();
        }
        fs::write(root.join("home/.ssh/id_rsa"), "PRIVATE KEY").unwrap();
        fs::write(root.join("home/notes.txt"), "notes").unwrap();
        fs::write(root.join("data/autowork/providers.json"), "{\"key\":1}").unwrap();
        let policy = SandboxPolicy {
            work_area: root.join("work"),
            temp_dir: root.join("temp"),
            writable: Vec::new(),
            hidden: SandboxPolicy::default_hidden(&root.join("home"), &root.join("data/autowork")),
            network: false,
        };
        Self {
            _dir: dir,
            root,
            policy,
        }
    }

    fn path(&self, sub: &str) -> PathBuf {
        self.root.join(sub)
    }

    async fn sh(&self, script: &str) -> Output {
        self.run("sh", &["-c", script]).await
    }

    async fn run(&self, program: &str, args: &[&str]) -> Output {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        launcher()
            .command(&self.policy, OsStr::new(program), &args)
            .current_dir(self.path("work"))
            .env("HOME", self.path("home"))
            .env("TMPDIR", self.path("temp"))
            .env("OUTSIDE", self.path("outside"))
            .env("DATA", self.path("data/autowork"))
            .output()
            .await
            .unwrap()
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[track_caller]
fn assert_ok(output: &Output, why: &str) {
    assert!(output.status.success(), "{why}: {output:?}");
}

#[track_caller]
fn assert_refused(output: &Output, message: &str, why: &str) {
    assert!(!output.status.success(), "{why}: it succeeded: {output:?}");
    assert!(
        stderr(output).contains(message),
        "{why}: expected `{message}` in {output:?}"
    );
}

#[tokio::test]
async fn writes_land_only_in_the_work_area_temp_dir_and_writable_paths() {
    let mut sb = Sandbox::new();
    fs::create_dir(sb.path("cache")).unwrap();
    sb.policy.writable.push(sb.path("cache"));

    let inside = sb
        .sh("echo w > w.txt && echo t > \"$TMPDIR/t.txt\" && echo c > ../cache/c.txt && mkdir -p a/b && rm -r a")
        .await;
    assert_ok(
        &inside,
        "the work area, temp dir and writable paths take writes",
    );
    assert_eq!(fs::read_to_string(sb.path("work/w.txt")).unwrap(), "w\n");
    assert_eq!(fs::read_to_string(sb.path("temp/t.txt")).unwrap(), "t\n");
    assert_eq!(fs::read_to_string(sb.path("cache/c.txt")).unwrap(), "c\n");

    let outside = sb.sh("echo x > \"$OUTSIDE/f\"").await;
    if support().enforces_files() {
        assert_refused(&outside, "Permission denied", "a write outside the grants");
        assert!(!sb.path("outside/f").exists());
    } else {
        assert_ok(
            &outside,
            "without Landlock writes are not confined (support says so)",
        );
        assert_eq!(
            support().note().map(|n| n.contains("file access")),
            Some(true)
        );
    }
}

#[tokio::test]
async fn secrets_under_home_and_the_data_dir_are_unreadable() {
    let sb = Sandbox::new();
    let notes = sb.sh("cat \"$HOME/notes.txt\"").await;
    assert_ok(&notes, "the rest of home stays readable");
    assert_eq!(stdout(&notes), "notes");

    let key = sb.sh("cat \"$HOME/.ssh/id_rsa\"").await;
    let data = sb.sh("cat \"$DATA/providers.json\"").await;
    let listing = sb.sh("ls \"$DATA\"").await;
    if support().enforces_files() {
        assert_refused(&key, "Permission denied", "~/.ssh is hidden");
        assert_refused(&data, "Permission denied", "the data dir is hidden");
        assert_refused(
            &listing,
            "Permission denied",
            "the data dir cannot be listed",
        );
        assert!(!stdout(&key).contains("PRIVATE"));
    } else {
        assert_ok(
            &key,
            "without Landlock secrets are readable (support says so)",
        );
        assert_eq!(stdout(&key), "PRIVATE KEY");
    }
}

#[tokio::test]
async fn git_dir_is_readable_and_read_only_when_supported() {
    let sb = Sandbox::new();
    let git = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(sb.path("work"))
        .status()
        .unwrap();
    assert!(git.success());
    fs::write(sb.path("work/tracked.txt"), "t").unwrap();
    let config = fs::read_to_string(sb.path("work/.git/config")).unwrap();

    let read = sb
        .sh("cat .git/config >/dev/null && git status --porcelain")
        .await;
    assert_ok(&read, "git can read its repository");
    assert_eq!(stdout(&read), "?? tracked.txt\n");

    let write = sb.sh("echo '[x]' >> .git/config").await;
    let hook = sb.sh("touch .git/hooks/x").await;
    let in_git = sb.run("sh", &["-c", "cd .git && echo x > HEAD"]).await;
    if support().git_read_only {
        assert_refused(&write, "Read-only file system", ".git/config");
        assert_refused(&hook, "Read-only file system", "a new hook");
        assert_refused(&in_git, "Read-only file system", "a write from inside .git");
        assert_eq!(
            fs::read_to_string(sb.path("work/.git/config")).unwrap(),
            config
        );
        assert!(!sb.path("work/.git/hooks/x").exists());
    } else {
        assert_ok(
            &write,
            "without a mount namespace .git is writable (support says so)",
        );
        assert_ok(&hook, "without a mount namespace .git is writable");
        assert!(support().note().unwrap().contains(".git is writable"));
    }
    let outside_git = sb.sh("echo ok > tracked.txt").await;
    assert_ok(&outside_git, "the rest of the work area stays writable");
}

#[tokio::test]
async fn a_worktree_git_file_is_read_only_when_supported() {
    let sb = Sandbox::new();
    fs::write(sb.path("work/.git"), "gitdir: /elsewhere\n").unwrap();
    let write = sb.sh("echo 'gitdir: /tmp/evil' > .git").await;
    if support().git_read_only {
        assert_refused(&write, "Read-only file system", "the .git file");
    } else {
        assert_ok(
            &write,
            "without a mount namespace the .git file is writable",
        );
    }
    let expected = if support().git_read_only {
        "gitdir: /elsewhere\n"
    } else {
        "gitdir: /tmp/evil\n"
    };
    assert_eq!(fs::read_to_string(sb.path("work/.git")).unwrap(), expected);
}

const NOBODY: u32 = 65534;

/// As root, hands the sandbox's tree to `nobody` and returns `setpriv`, so a test can run
/// things unprivileged; `None` when not root (already unprivileged) or without `setpriv`.
fn drop_to_nobody(sb: &Sandbox) -> Option<&'static Path> {
    let setpriv = Path::new("/usr/bin/setpriv");
    if !nix::unistd::geteuid().is_root() || !setpriv.exists() {
        return None;
    }
    for entry in walk(&sb.root) {
        std::os::unix::fs::chown(&entry, Some(NOBODY), Some(NOBODY)).unwrap();
    }
    let mut perms = fs::metadata(&sb.root).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    fs::set_permissions(&sb.root, perms).unwrap();
    Some(setpriv)
}

fn nobody(setpriv: &Path) -> std::process::Command {
    let mut command = std::process::Command::new(setpriv);
    command.args(["--reuid=65534", "--regid=65534", "--clear-groups"]);
    command
}

/// `script` under the sandbox as `nobody`.
fn sandboxed_as_nobody(sb: &Sandbox, setpriv: &Path, script: &str) -> Output {
    let policy = serde_json::to_string(&sb.policy).unwrap();
    nobody(setpriv)
        .arg(env!("CARGO_BIN_EXE_autowork-sandbox"))
        .args([LAUNCHER_ARG, &policy, "--", "sh", "-c", script])
        .current_dir(sb.path("work"))
        .env("HOME", sb.path("home"))
        .output()
        .unwrap()
}

fn walk(root: &Path) -> Vec<PathBuf> {
    let mut paths = vec![root.to_path_buf()];
    let mut i = 0;
    while i < paths.len() {
        if paths[i].is_dir() && !paths[i].is_symlink() {
            for entry in fs::read_dir(&paths[i]).unwrap() {
                paths.push(entry.unwrap().path());
            }
        }
        i += 1;
    }
    paths
}

/// Root takes the plain mount-namespace path; everyone else needs a user namespace. As
/// root this test drops to `nobody` to cover the second path too.
#[tokio::test]
async fn an_unprivileged_user_gets_read_only_git_through_a_user_namespace() {
    let sb = Sandbox::new();
    fs::create_dir_all(sb.path("work/.git")).unwrap();
    fs::write(sb.path("work/.git/config"), "").unwrap();
    let Some(setpriv) = drop_to_nobody(&sb) else {
        // Already unprivileged: this is the user-namespace path.
        let write = sb.sh("echo x >> .git/config").await;
        assert_eq!(
            write.status.success(),
            !support().git_read_only,
            "{write:?}"
        );
        return;
    };
    let user_namespaces = fs::read_to_string("/proc/sys/user/max_user_namespaces")
        .map(|n| n.trim() != "0")
        .unwrap_or(false);

    let own = sandboxed_as_nobody(&sb, setpriv, "echo ok > mine && cat mine && id -u");
    assert_ok(
        &own,
        "nobody keeps its own uid inside and can write its files",
    );
    assert_eq!(stdout(&own), "ok\n65534\n");
    let write = sandboxed_as_nobody(&sb, setpriv, "echo x >> .git/config");
    if user_namespaces {
        assert_refused(&write, "Read-only file system", ".git as nobody");
    } else {
        assert_ok(&write, "user namespaces are disabled: .git stays writable");
    }
    if support().enforces_files() {
        let key = sandboxed_as_nobody(&sb, setpriv, "cat \"$HOME/.ssh/id_rsa\"");
        assert_refused(
            &key,
            "Permission denied",
            "secrets stay hidden in a user namespace",
        );
    }
}

#[tokio::test]
async fn network_off_refuses_tcp_and_network_on_connects() {
    let mut sb = Sandbox::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let connect = format!("exec 3<>/dev/tcp/127.0.0.1/{port} && echo connected");

    let off = sb.run("bash", &["-c", &connect]).await;
    if support().network_filter {
        assert_refused(&off, "Permission denied", "network off: no TCP socket");
    } else {
        assert_ok(
            &off,
            "without seccomp the network is open (support says so)",
        );
    }

    sb.policy.network = true;
    let on = sb.run("bash", &["-c", &connect]).await;
    assert_ok(&on, "network on: the connection is made");
    assert_eq!(stdout(&on), "connected\n");
    listener.set_nonblocking(true).unwrap();
    assert!(listener.accept().is_ok(), "the listener saw the connection");
}

fn python3() -> Option<&'static str> {
    ["/usr/bin/python3", "/usr/local/bin/python3"]
        .into_iter()
        .find(|p| Path::new(p).exists())
}

#[tokio::test]
async fn unix_sockets_still_work_with_the_network_off() {
    let sb = Sandbox::new();
    let Some(python) = python3() else {
        eprintln!("skipped: no python3 to connect to a Unix socket with");
        return;
    };
    // Named sockets are reachable by design (Landlock cannot scope them before ABI 9).
    let socket = sb.path("temp/s.sock");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let script = format!(
        "import socket; s = socket.socket(socket.AF_UNIX); s.connect({:?}); s.sendall(b'hi')",
        socket.to_str().unwrap()
    );
    let client = sb.run(python, &["-c", &script]).await;
    assert_ok(&client, "a Unix socket with the network off");
    let (mut stream, _) = listener.accept().unwrap();
    let mut got = String::new();
    stream.read_to_string(&mut got).unwrap();
    assert_eq!(got, "hi");
}

/// The engine holds API keys in its environment. Landlock's ptrace rule keeps a sandboxed
/// process out of `/proc/<pid>/environ` of processes outside its domain. As root the
/// stand-in engine and the command both run as `nobody`: on the kernel this was written
/// on, a root command could still read a root process's environ (see the module docs).
#[tokio::test]
async fn the_engines_environment_is_unreadable_from_inside() {
    let sb = Sandbox::new();
    let own = sb
        .sh("cat /proc/self/environ | tr '\\0' '\\n' | grep -c TMPDIR=")
        .await;
    assert_ok(&own, "a command can read its own environment");

    let (engine, reader) = match drop_to_nobody(&sb) {
        Some(setpriv) => {
            let mut engine = nobody(setpriv)
                .args(["sleep", "30"])
                .env("PROVIDER_KEY", "sk-secret")
                .spawn()
                .unwrap();
            // The stand-in must have exec'd `sleep` (and be nobody's) before it is read.
            std::thread::sleep(std::time::Duration::from_millis(200));
            let script = format!("cat /proc/{}/environ", engine.id());
            let reader = sandboxed_as_nobody(&sb, setpriv, &script);
            let _ = engine.kill();
            let _ = engine.wait();
            (engine.id(), reader)
        }
        None => {
            let script = format!("cat /proc/{}/environ", std::process::id());
            (std::process::id(), sb.sh(&script).await)
        }
    };
    if support().enforces_files() {
        assert_refused(
            &reader,
            "Permission denied",
            &format!("the environ of pid {engine}"),
        );
        assert!(reader.stdout.is_empty());
    } else {
        assert_ok(
            &reader,
            "without Landlock the same user's /proc is readable",
        );
    }
}

#[tokio::test]
async fn mount_and_unshare_are_refused_inside() {
    let sb = Sandbox::new();
    fs::create_dir(sb.path("work/m")).unwrap();
    let mount = sb.sh("mount -t tmpfs none m").await;
    let user_ns = sb.run("unshare", &["-U", "true"]).await;
    let mount_ns = sb.run("unshare", &["-m", "true"]).await;
    let remount = sb.sh("mount -o remount,bind,rw .").await;
    if support().network_filter {
        for (output, what) in [
            (&mount, "mount"),
            (&user_ns, "unshare -U"),
            (&mount_ns, "unshare -m"),
            (&remount, "remount"),
        ] {
            assert!(!output.status.success(), "{what} must fail: {output:?}");
            // EPERM: util-linux's mount words it "permission denied".
            let err = stderr(output).to_lowercase();
            assert!(
                err.contains("operation not permitted") || err.contains("permission denied"),
                "{what}: {err}"
            );
        }
    } else {
        assert!(!mount_ns.status.success() || nix::unistd::geteuid().is_root());
    }
}

#[cfg(target_arch = "x86_64")]
#[tokio::test]
async fn x32_system_calls_are_refused() {
    let sb = Sandbox::new();
    let source = sb.path("work/x32.c");
    fs::write(
        &source,
        "#include <errno.h>\n#include <stdio.h>\n#include <unistd.h>\n#include <sys/syscall.h>\n\
         int main(void) { long r = syscall(0x40000000 | SYS_getpid); \
         printf(\"%ld %d\\n\", r, r < 0 ? errno : 0); return 0; }\n",
    )
    .unwrap();
    let Ok(cc) = std::process::Command::new("cc")
        .args(["-o", "x32", "x32.c"])
        .current_dir(sb.path("work"))
        .status()
    else {
        eprintln!("skipped: no C compiler to issue an x32 system call with");
        return;
    };
    assert!(cc.success());
    let inside = sb.run("./x32", &[]).await;
    assert_ok(&inside, "the probe program runs");
    if support().network_filter {
        assert_eq!(stdout(&inside), "-1 1\n", "x32 calls fail with EPERM");
    }
}

#[tokio::test]
async fn a_build_and_test_in_the_work_area_works() {
    let sb = Sandbox::new();
    fs::write(
        sb.path("work/hello.c"),
        "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n",
    )
    .unwrap();
    let has_cc = std::process::Command::new("cc")
        .arg("--version")
        .output()
        .is_ok();
    let build = if has_cc {
        "cc -o hello hello.c && ./hello"
    } else {
        "echo hello"
    };
    let script = format!(
        "set -e; {build}; mkdir -p a/b && echo ok > a/b/c && cat a/b/c; \
         git init -q repo && git -C repo status --porcelain | wc -l; \
         printf 'x\\ny\\n' | sort -r | head -1 > sorted && cat sorted"
    );
    let output = sb.sh(&script).await;
    assert_ok(
        &output,
        "compile, run, files, git and pipes inside the work area",
    );
    assert_eq!(stdout(&output), "hello\nok\n0\ny\n");
}

#[tokio::test]
async fn a_missing_command_exits_127_and_a_bad_policy_125() {
    let sb = Sandbox::new();
    let missing = sb.run("no-such-program-autowork", &[]).await;
    assert_eq!(missing.status.code(), Some(127), "{missing:?}");
    assert!(stderr(&missing).starts_with("autowork sandbox: cannot run `no-such-program-autowork`"));

    let bad = tokio::process::Command::new(env!("CARGO_BIN_EXE_autowork-sandbox"))
        .args([LAUNCHER_ARG, "{", "--", "true"])
        .output()
        .await
        .unwrap();
    assert_eq!(bad.status.code(), Some(125), "{bad:?}");
    assert!(stderr(&bad).starts_with("autowork sandbox: the policy is not valid"));

    let mut policy = sb.policy.clone();
    policy
        .writable
        .push(PathBuf::from(OsStr::from_bytes(b"/tmp/\xff")));
    let unencodable = launcher()
        .command(&policy, OsStr::new("true"), &[])
        .output()
        .await
        .unwrap();
    assert_eq!(unencodable.status.code(), Some(125), "{unencodable:?}");
    assert!(stderr(&unencodable).contains("could not be encoded"));
}

#[test]
fn support_is_probed_once_and_consistent() {
    let first = support();
    assert!(std::ptr::eq(first, support()), "probed once");
    assert_eq!(
        first.note().is_none(),
        first.enforces_files() && first.git_read_only && first.network_filter
    );
    if let Some(abi) = first.landlock_abi {
        assert!(abi >= 1, "{first:?}");
    }
}
