//! Fuzzes target, domain and CIDR parsing: never panics, and any accepted domain is valid.
#![no_main]

use libfuzzer_sys::fuzz_target;
use originguard::network::names::{Cidr, DomainName, Target};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(Target::Domain { name, .. }) = Target::parse(text) {
        assert!(name.as_str().len() <= 253);
        assert_eq!(DomainName::parse(name.as_str()), Ok(name.clone()));
        let _ = name.registrable_domain();
        let _ = name.to_unicode();
    }
    let _ = DomainName::parse(text);
    if let Ok(block) = Cidr::parse(text) {
        assert_eq!(Cidr::parse(&block.to_string()), Ok(block));
    }
});
