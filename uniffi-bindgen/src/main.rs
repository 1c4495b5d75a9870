//! Runs the uniffi generator at exactly the version the binding links.
fn main() {
    uniffi::uniffi_bindgen_main()
}
