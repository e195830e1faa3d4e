//! `pow`, the one function of the C maths library the `mva` binary calls, defined in the binary so that the dynamic
//! loader does not map libm at every start: about 50 µs of a 1.4 ms `mva token` (docs/benchmarks.md). Its callers
//! are tokio's multi-thread scheduler (`f64::powf` in an average of task poll times) and indicatif (`powf` in its
//! rate estimate); the compiler turns `powf` into a call to C's `pow`, which the linker now finds here, and
//! `--as-needed` leaves libm out of the binary's NEEDED list. The symbol is not exported (the binary exports
//! nothing), so a library loaded later, such as libxml2, keeps its own libm.
//!
//! The `libm` crate is the Rust project's port of musl's maths library, the one Rust's `compiler-builtins` uses
//! on targets without a C library.

/// C's `double pow(double x, double y)`.
#[unsafe(no_mangle)]
pub extern "C" fn pow(x: f64, y: f64) -> f64 {
    libm::pow(x, y)
}

#[cfg(test)]
mod tests {
    #[test]
    fn powf_calls_it_and_it_answers_as_c_does() {
        let cases: [(f64, f64, f64); 3] = [
            (2.0, 10.0, 1024.0),
            (0.9, 0.0, 1.0),
            (0.1, 0.5, 0.316_227_766_016_837_94),
        ];
        for (x, y, expected) in cases {
            let got = std::hint::black_box(x).powf(std::hint::black_box(y));
            assert!(
                (got - expected).abs() <= expected * 1e-15,
                "{x}^{y} = {got}"
            );
            assert_eq!(super::pow(x, y), got);
        }
        assert!(super::pow(-1.0, 0.5).is_nan());
    }
}
