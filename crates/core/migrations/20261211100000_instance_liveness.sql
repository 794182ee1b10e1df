-- Liveness without waiting for the lease: each instance also records which machine and boot
-- it runs in and when its process started, so a process on the same machine can tell at once
-- that the owner is gone (its pid no longer exists, or now names a newer process).
-- `host` is the kernel's boot id with the pid namespace (NULL where the platform offers no
-- such identity: then only the lease decides); `pid_started` is the process's start time in
-- clock ticks since boot (Linux: field 22 of /proc/<pid>/stat), NULL where unknown.
ALTER TABLE engine_instances ADD COLUMN host TEXT;
ALTER TABLE engine_instances ADD COLUMN pid_started INTEGER;
CREATE INDEX engine_instances_by_host ON engine_instances (host) WHERE host IS NOT NULL;
