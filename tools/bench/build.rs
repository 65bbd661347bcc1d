fn main() {
    if let Err(e) = slint_build::compile("ui/textpage.slint") {
        println!("cargo:warning=slint: {e}");
        std::process::exit(1);
    }
}
