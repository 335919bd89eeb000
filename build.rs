// The widget is embedded with include_dir!, which cannot tell cargo to
// rebuild when a file under widget/ changes; this does.
fn main() {
    println!("cargo:rerun-if-changed=widget");
}
