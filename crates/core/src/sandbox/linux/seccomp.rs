//! The seccomp filters, installed last, right before `exec`: with the network off no
//! sockets but Unix and netlink ones; never mounts, namespaces, `ptrace` or `io_uring`
//! (whose rings can open sockets behind the filter's back), so not even root inside can
//! remount `.git` writable.

use std::collections::BTreeMap;

use nix::libc;
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};

use crate::sandbox::LaunchError;

#[cfg(target_arch = "x86_64")]
const ARCH: Option<TargetArch> = Some(TargetArch::x86_64);
#[cfg(target_arch = "aarch64")]
const ARCH: Option<TargetArch> = Some(TargetArch::aarch64);
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
const ARCH: Option<TargetArch> = None;

/// Refused with EPERM whatever the policy.
const DENIED: &[i64] = &[
    libc::SYS_io_uring_setup,
    libc::SYS_mount,
    libc::SYS_umount2,
    libc::SYS_pivot_root,
    libc::SYS_setns,
    libc::SYS_unshare,
    libc::SYS_move_mount,
    libc::SYS_open_tree,
    libc::SYS_fsopen,
    libc::SYS_fsmount,
    libc::SYS_fsconfig,
    libc::SYS_mount_setattr,
    libc::SYS_ptrace,
];

/// The filters for this policy, compiled (empty on architectures we have no filter for).
pub(super) fn filters(network: bool) -> Result<Vec<BpfProgram>, LaunchError> {
    let Some(arch) = ARCH else {
        return Ok(Vec::new());
    };
    let denied = DENIED.iter().map(|nr| (*nr, Vec::new())).collect();
    let mut programs = vec![compile(denied, libc::EPERM, arch)?];
    if !network {
        let domain_is_not = |family: i32| {
            SeccompCondition::new(0, SeccompCmpArgLen::Dword, SeccompCmpOp::Ne, family as u64)
        };
        let rule = SeccompRule::new(vec![
            domain_is_not(libc::AF_UNIX).map_err(seccomp_error)?,
            domain_is_not(libc::AF_NETLINK).map_err(seccomp_error)?,
        ])
        .map_err(seccomp_error)?;
        let sockets = BTreeMap::from([(libc::SYS_socket, vec![rule])]);
        programs.push(compile(sockets, libc::EACCES, arch)?);
    }
    #[cfg(target_arch = "x86_64")]
    programs.push(x32::refuse_all());
    Ok(programs)
}

/// Installs the filters; `Ok(false)` when the kernel has no seccomp filtering.
pub(super) fn install(programs: &[BpfProgram]) -> Result<bool, LaunchError> {
    if programs.is_empty() {
        return Ok(false);
    }
    // Required for an unprivileged filter, and so the command can never gain privileges.
    nix::sys::prctl::set_no_new_privs()
        .map_err(|e| LaunchError::Seccomp(format!("PR_SET_NO_NEW_PRIVS: {e}")))?;
    for (i, program) in programs.iter().enumerate() {
        match seccompiler::apply_filter(program) {
            Ok(()) => {}
            Err(seccompiler::Error::Seccomp(e))
                if i == 0 && matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS)) =>
            {
                return Ok(false)
            }
            Err(e) => return Err(seccomp_error(e)),
        }
    }
    Ok(true)
}

fn compile(
    rules: BTreeMap<i64, Vec<SeccompRule>>,
    errno: i32,
    arch: TargetArch,
) -> Result<BpfProgram, LaunchError> {
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(errno as u32),
        arch,
    )
    .map_err(seccomp_error)?;
    filter.try_into().map_err(seccomp_error)
}

fn seccomp_error(e: impl std::fmt::Display) -> LaunchError {
    LaunchError::Seccomp(e.to_string())
}

/// x32 system calls reach the x86_64 table with bit 30 set, so a filter keyed on x86_64
/// numbers never matches them (x32 `socket` would slip past). seccompiler cannot express
/// "any number with that bit", so this small program is written by hand: it refuses every
/// x32 call. (i386 calls have another audit arch, which seccompiler's filters kill.)
#[cfg(target_arch = "x86_64")]
mod x32 {
    use seccompiler::{sock_filter, BpfProgram};

    // Classic BPF opcodes: BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K,
    // BPF_JMP|BPF_JSET|BPF_K, BPF_RET|BPF_K.
    const BPF_LD_W_ABS: u16 = 0x20;
    const BPF_JEQ_K: u16 = 0x15;
    const BPF_JSET_K: u16 = 0x45;
    const BPF_RET_K: u16 = 0x06;
    /// Offsets in `struct seccomp_data`.
    const NR: u32 = 0;
    const ARCH: u32 = 4;
    const AUDIT_ARCH_X86_64: u32 = 0xC000_003E;
    const X32_SYSCALL_BIT: u32 = 0x4000_0000;
    const RET_ALLOW: u32 = 0x7fff_0000;
    const RET_ERRNO: u32 = 0x0005_0000;

    fn op(code: u16, k: u32, jt: u8, jf: u8) -> sock_filter {
        sock_filter { code, jt, jf, k }
    }

    pub(super) fn refuse_all() -> BpfProgram {
        vec![
            op(BPF_LD_W_ABS, ARCH, 0, 0),
            // Not x86_64: allow (jump to the last instruction).
            op(BPF_JEQ_K, AUDIT_ARCH_X86_64, 0, 3),
            op(BPF_LD_W_ABS, NR, 0, 0),
            op(BPF_JSET_K, X32_SYSCALL_BIT, 0, 1),
            op(BPF_RET_K, RET_ERRNO | nix::libc::EPERM as u32, 0, 0),
            op(BPF_RET_K, RET_ALLOW, 0, 0),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_compile_for_both_network_settings() {
        let on = filters(true).unwrap();
        let off = filters(false).unwrap();
        assert_eq!(
            off.len(),
            on.len() + 1,
            "network off adds the socket filter"
        );
        assert!(on.iter().all(|p| !p.is_empty() && p.len() < 4096));
    }
}
