//! Peak resident memory (VmHWM) and CPU time of a process, from /proc (Linux).

/// Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

fn proc_file(pid: Option<u32>, file: &str) -> Option<String> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/{file}"),
        None => format!("/proc/self/{file}"),
    };
    std::fs::read_to_string(path).ok()
}

/// Peak RSS in KiB of `pid`, or of this process when `pid` is None.
pub(crate) fn peak_kib(pid: Option<u32>) -> Option<u64> {
    parse_kib(&proc_file(pid, "status")?, "VmHWM:")
}

/// User + system CPU seconds `pid` (or this process) has used so far.
pub fn cpu_seconds(pid: Option<u32>) -> Option<f64> {
    parse_cpu(&proc_file(pid, "stat")?)
}

fn parse_kib(status: &str, field: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with(field))?;
    line[field.len()..].trim().trim_end_matches("kB").trim().parse().ok()
}

/// Fields 14 and 15 (utime, stime), counted after the `(comm)` field,
/// which may itself contain spaces.
fn parse_cpu(stat: &str) -> Option<f64> {
    let after_comm = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / TICKS_PER_SECOND)
}

/// The 1-minute load average: how busy the (shared) machine was.
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg").ok()?.split_whitespace().next()?.parse().ok()
}

pub(crate) fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_vmhwm() {
        let status = "Name:\tx\nVmPeak:\t  9000 kB\nVmHWM:\t   1234 kB\nVmRSS:\t 1000 kB\n";
        assert_eq!(super::parse_kib(status, "VmHWM:"), Some(1234));
        assert!(super::peak_kib(None).is_some_and(|kib| kib > 0));
    }

    #[test]
    fn reads_cpu_time() {
        let stat = "42 (a b) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0";
        assert_eq!(super::parse_cpu(stat), Some(3.0));
        assert!(super::cpu_seconds(None).is_some());
    }
}
