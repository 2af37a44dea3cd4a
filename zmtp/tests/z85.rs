//! Z85 (RFC 32): the RFC's test vector, libzmq's published key texts,
//! every error, and properties over arbitrary input (round trips; decoding
//! never panics).

use oxmq_zmtp::z85::{self, Z85Error};
use proptest::prelude::*;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn rfc32_test_vector() {
    let bytes = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];
    assert_eq!(z85::encode(&bytes).unwrap(), "HelloWorld");
    assert_eq!(z85::decode("HelloWorld").unwrap(), bytes);
}

/// The key values of libzmq's `zmq_curve(7)` page, given there both in hex
/// and in Z85.
#[test]
fn libzmq_documented_keys() {
    for (hex, text) in [
        (
            "BB88471D65E2659B30C55A5321CEBB5AAB2B70A398645C26DCA2B2FCB43FC518",
            "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID",
        ),
        (
            "7BB864B489AFA3671FBE69101F94B38972F24816DFB01B51656B3FEC8DFD0888",
            "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs",
        ),
        (
            "54FCBA24E93249969316FB617C872BB0C1D1FF14800427C594CBFACF1BC2D652",
            "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7",
        ),
        (
            "8E0BDD697628B91D8F245587EE95C5B04D48963F79259877B49CD9063AEAD3B7",
            "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6",
        ),
    ] {
        let raw = unhex(hex);
        assert_eq!(z85::encode(&raw).unwrap(), text);
        assert_eq!(z85::decode(text).unwrap(), raw);
    }
}

#[test]
fn zeros_are_visible_as_zeros() {
    assert_eq!(z85::encode(&[0; 8]).unwrap(), "0000000000");
    assert_eq!(z85::decode("00000").unwrap(), [0; 4]);
}

#[test]
fn empty_input_is_empty_output() {
    assert_eq!(z85::encode(&[]).unwrap(), "");
    assert_eq!(z85::decode("").unwrap(), Vec::<u8>::new());
}

#[test]
fn binary_length_must_be_a_multiple_of_4() {
    for len in [1, 2, 3, 5, 31, 33] {
        assert_eq!(
            z85::encode(&vec![7; len]),
            Err(Z85Error::BadBinaryLength(len))
        );
    }
}

#[test]
fn text_length_must_be_a_multiple_of_5() {
    for text in ["H", "Hell", "HelloW", "HelloWorl"] {
        assert_eq!(z85::decode(text), Err(Z85Error::BadTextLength(text.len())));
    }
    // Length is counted in octets: 5 characters, 6 octets.
    assert_eq!(z85::decode("é0000"), Err(Z85Error::BadTextLength(6)));
}

#[test]
fn characters_outside_the_alphabet_are_reported_with_their_offset() {
    for (text, byte, offset) in [
        ("Hello Worl", b' ', 5),
        ("\"ello", b'"', 0),
        ("Hell'", b'\'', 4),
        ("00000000\\0", b'\\', 8),
        ("0000,", b',', 4),
        ("0000\0", 0, 4),
        ("0000~", b'~', 4),
    ] {
        assert_eq!(
            z85::decode(text),
            Err(Z85Error::InvalidCharacter { byte, offset }),
            "{text:?}"
        );
    }
    // A non-ASCII character: its first octet is reported.
    assert_eq!(
        z85::decode("000é"),
        Err(Z85Error::InvalidCharacter {
            byte: 0xC3,
            offset: 3
        })
    );
}

#[test]
fn groups_above_32_bits_overflow() {
    assert_eq!(z85::decode("%nSc0").unwrap(), [0xFF; 4]);
    for text in ["%nSc1", "#####", "$0000", "%nSd0"] {
        assert_eq!(
            z85::decode(text),
            Err(Z85Error::Overflow { offset: 0 }),
            "{text}"
        );
    }
    assert_eq!(
        z85::decode("HelloWorld#####"),
        Err(Z85Error::Overflow { offset: 10 })
    );
}

#[test]
fn errors_display_a_reason() {
    let e = z85::decode("0000~").unwrap_err();
    assert_eq!(e.to_string(), "invalid Z85 character 0x7e at offset 4");
}

fn binary() -> impl Strategy<Value = Vec<u8>> {
    (0usize..64).prop_flat_map(|n| proptest::collection::vec(any::<u8>(), n * 4))
}

const ALPHABET: &str =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn encode_then_decode_is_identity(data in binary()) {
        let text = z85::encode(&data).unwrap();
        prop_assert_eq!(text.len(), data.len() / 4 * 5);
        prop_assert!(text.bytes().all(|b| ALPHABET.as_bytes().contains(&b)));
        prop_assert_eq!(z85::decode(&text).unwrap(), data);
    }

    #[test]
    fn valid_text_decodes_then_encodes_to_itself(
        groups in proptest::collection::vec(0u32..=u32::MAX, 0..16)
    ) {
        // Build valid text digit by digit, independently of the encoder.
        let alphabet = ALPHABET.as_bytes();
        let mut text = String::new();
        for g in &groups {
            let mut digits = [0u8; 5];
            let mut v = u64::from(*g);
            for d in digits.iter_mut().rev() {
                *d = alphabet[(v % 85) as usize];
                v /= 85;
            }
            text.extend(digits.iter().map(|&b| char::from(b)));
        }
        let bytes = z85::decode(&text).unwrap();
        let expected: Vec<u8> = groups.iter().flat_map(|g| g.to_be_bytes()).collect();
        prop_assert_eq!(&bytes, &expected);
        prop_assert_eq!(z85::encode(&bytes).unwrap(), text);
    }

    #[test]
    fn decode_never_panics_on_any_string(text in any::<String>()) {
        match z85::decode(&text) {
            Ok(bytes) => {
                prop_assert_eq!(bytes.len(), text.len() / 5 * 4);
                prop_assert_eq!(z85::encode(&bytes).unwrap(), text);
            }
            Err(Z85Error::BadTextLength(n)) => prop_assert!(n % 5 != 0),
            Err(Z85Error::InvalidCharacter { offset, byte }) => {
                prop_assert_eq!(text.as_bytes()[offset], byte);
            }
            Err(Z85Error::Overflow { offset }) => prop_assert_eq!(offset % 5, 0),
            Err(other) => prop_assert!(false, "unexpected error {other:?}"),
        }
    }

    #[test]
    fn decode_never_panics_on_near_valid_text(
        text in "[0-9a-zA-Z.:+=^!/*?&<>()\\[\\]{}@%$#-]{0,40}"
    ) {
        let _ = z85::decode(&text);
    }

    #[test]
    fn decode_bytes_never_panics(raw in proptest::collection::vec(any::<u8>(), 0..60)) {
        let _ = z85::decode_bytes(&raw);
    }
}
