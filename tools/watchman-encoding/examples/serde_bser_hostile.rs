//! Why hg-core does not use serde_bser: a PDU whose string claims a
//! negative length makes it panic (`index + len` overflows, then a slice
//! out of range) instead of returning an error; hg-core returns one.
//!   cargo run --release --example serde_bser_hostile

fn main() {
    // v2 header, length 3, then a byte string of length -1.
    let pdu: &[u8] = b"\x00\x02\x00\x00\x00\x00\x03\x03\x02\x03\xff";
    println!(
        "hg-core: {:?}",
        hg_core::watchman::protocol::decode_pdu(pdu).map(|_| ())
    );
    let result = std::panic::catch_unwind(|| {
        serde_bser::from_slice::<serde_bser::value::Value>(pdu).map(|_| ())
    });
    match result {
        Ok(r) => println!("serde_bser: {:?}", r.map_err(|e| e.to_string())),
        Err(_) => println!("serde_bser: panicked"),
    }
}
