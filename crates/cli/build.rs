//! How the `mva` binary is linked on GNU/Linux, for a quicker start (docs/benchmarks.md, `mva token` start-up).
//!
//! 1. The unwinder (libgcc_eh) is linked into the binary instead of loading libgcc_s at every start. Rust's
//!    standard library needs an unwinder, and on `*-linux-gnu` it asks for the shared libgcc_s: a library to map
//!    and relocate, and a constructor that detects the CPU with a dozen `CPUID` instructions (each one a trap to
//!    the hypervisor on a virtual machine). A Rust "hello world" starts in 0.87 ms instead of 1.03 here. With the
//!    static archive in the binary, `--as-needed` drops libgcc_s from the NEEDED list. Unwinding (panics,
//!    `catch_unwind`) works the same: the unwinder finds the binary's frames through `PT_GNU_EH_FRAME`, as in
//!    statically linked programs (the unit test `tests::panics_unwind_with_the_unwinder_linked_in`). The archive
//!    ships with GCC, which the Rust toolchain uses as its linker driver.
//! 2. The binary exports no symbol (a version script), so that `pow`, defined in src/math.rs to spare the start
//!    of libm, stays the binary's own.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        // Whole archive: the unwinder's symbols are defined in the binary before libgcc_s could provide them.
        println!("cargo:rustc-link-arg-bins=-Wl,--push-state,--whole-archive,-Bstatic,-lgcc_eh,--pop-state");
        // The binary exports no symbol. Without this, the linker would export `pow` (src/math.rs), because libm,
        // on the link line, defines it too; libraries loaded later (libxml2) would then call ours.
        let out =
            std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
        let script = out.join("exports.map");
        std::fs::write(&script, "{ local: *; };\n").expect("OUT_DIR is writable");
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--version-script={}",
            script.display()
        );
    }
}
