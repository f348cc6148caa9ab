fn main() {
    let name = std::env::args().nth(1).unwrap_or("ice40".into());
    let dir = std::env::args().nth(2).unwrap_or("/tmp/emit".into());
    let cfg = ip_blocks::Config::preset(&name).unwrap();
    let g = ip_blocks::generate(&cfg).unwrap();
    g.verilog().write_to(std::path::Path::new(&dir)).unwrap();
}
