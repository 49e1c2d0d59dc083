//! Which processor a run had. This shared machine is not always the same one: on one day an
//! AMD EPYC, on another an Intel Xeon, and a history page cost the server a third more CPU
//! on the Intel against a ceiling call that cost the same (BENCHMARKS.md, The machine). Every
//! table therefore names the processor it was measured on.

/// "model name × CPUs" from the text of `/proc/cpuinfo`, or `None` if it names no model.
pub fn processor_of(cpuinfo: &str) -> Option<String> {
    let field = |line: &str, name: &str| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == name).then(|| value.trim().to_owned())
    };
    let model = cpuinfo.lines().find_map(|l| field(l, "model name"))?;
    let cpus = cpuinfo
        .lines()
        .filter(|l| field(l, "processor").is_some())
        .count();
    Some(format!("{model} × {cpus}"))
}

/// This machine's processor, or "unknown" where `/proc/cpuinfo` cannot tell.
pub fn processor() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| processor_of(&text))
        .unwrap_or_else(|| "unknown".to_owned())
}

#[cfg(test)]
mod tests {
    use super::processor_of;

    #[test]
    fn names_the_model_and_counts_the_cpus() {
        let cpuinfo = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel\t\t: 143\n\
                       model name\t: Intel(R) Xeon(R) Processor\nflags\t\t: fpu\n\n\
                       processor\t: 1\nvendor_id\t: GenuineIntel\nmodel\t\t: 143\n\
                       model name\t: Intel(R) Xeon(R) Processor\nflags\t\t: fpu\n";
        assert_eq!(
            processor_of(cpuinfo).as_deref(),
            Some("Intel(R) Xeon(R) Processor × 2")
        );
        assert_eq!(processor_of("processor\t: 0\nflags\t: fpu\n"), None);
    }
}
