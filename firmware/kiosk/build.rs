fn main() {
    slint_build::compile("ui/app.slint").unwrap_or_else(|e| panic!("ui/app.slint: {e}"));
}
