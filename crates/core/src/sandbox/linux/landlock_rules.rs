//! The Landlock ruleset: read and execute everywhere except the hidden paths, every file
//! right beneath the write roots, writes to the terminal and the harmless devices. Landlock
//! also keeps the process from tracing, or reading `/proc/<pid>/environ` of, processes
//! outside its domain (such as the engine, which holds API keys).

use landlock::{
    Access, AccessFs, AccessNet, BitFlags, LandlockStatus, PathBeneath, PathFd, Ruleset,
    RulesetAttr, RulesetCreated, RulesetCreatedAttr, RulesetStatus, ABI,
};

use super::Plan;
use crate::sandbox::LaunchError;

/// The newest ABI these rules were tested with; older kernels get what they support
/// (best effort), newer kernels this much.
const TESTED_ABI: ABI = ABI::V7;

/// Devices a command may write to (and use terminal ioctls on).
const DEVICES: &[&str] = &[
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/tty",
    "/dev/ptmx",
    "/dev/pts",
];

/// Restricts this process. `Ok(Some(abi))` when the kernel enforces the rules.
pub(super) fn restrict(plan: &Plan) -> Result<Option<i32>, LaunchError> {
    let read = AccessFs::from_read(TESTED_ABI);
    let mut ruleset = Ruleset::default().handle_access(AccessFs::from_all(TESTED_ABI))?;
    if !plan.network {
        // Also refused by seccomp; this covers TCP where seccomp is unavailable.
        ruleset = ruleset.handle_access(AccessNet::from_all(TESTED_ABI))?;
    }
    let mut rules = ruleset.create()?;
    for root in &plan.read_roots {
        rules = grant(rules, root, read)?;
    }
    for root in &plan.write_roots {
        rules = grant(rules, root, AccessFs::from_all(TESTED_ABI))?;
    }
    let device = AccessFs::WriteFile | AccessFs::IoctlDev;
    for device_path in DEVICES {
        rules = grant(rules, device_path.as_ref(), device)?;
    }
    let status = rules.restrict_self()?;
    Ok(match status.landlock {
        LandlockStatus::Available {
            effective_abi,
            kernel_abi,
        } if status.ruleset != RulesetStatus::NotEnforced => {
            Some(kernel_abi.unwrap_or(effective_abi as i32))
        }
        _ => None,
    })
}

/// Adds a rule for `path` when it exists (a missing path has nothing to grant). Rights that
/// do not apply to a file are dropped by the crate's best-effort mode.
fn grant(
    rules: RulesetCreated,
    path: &std::path::Path,
    access: BitFlags<AccessFs>,
) -> Result<RulesetCreated, LaunchError> {
    match PathFd::new(path) {
        Ok(fd) => Ok(rules.add_rule(PathBeneath::new(fd, access))?),
        Err(_) => Ok(rules),
    }
}
