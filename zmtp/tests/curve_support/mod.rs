//! Helpers for the CURVE tests: the libzmq test keys, and an independent
//! reference of the CurveZMQ boxes written from RFC 26 and libzmq 4.3.5's
//! layouts directly on `crypto_box`, so that the tests check oxmq's bytes
//! against something other than oxmq.

// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use bytes::{Bytes, BytesMut};
use crypto_box::aead::{Aead, KeyInit};
use crypto_box::{Nonce, PublicKey, SalsaBox, SecretKey};
use crypto_secretbox::XSalsa20Poly1305;
use oxmq_zmtp::mechanism::{FrameCipher, LocalInfo};
use oxmq_zmtp::{CurveKeyPair, CurvePublicKey, CurveSecretKey, Metadata, SocketType};

/// libzmq's documented test server pair (`zmq_curve(7)`, test_security_curve).
pub(crate) const SERVER_PUBLIC: &str = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
/// Its secret half.
pub(crate) const SERVER_SECRET: &str = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";
/// libzmq's documented test client pair.
pub(crate) const CLIENT_PUBLIC: &str = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
/// Its secret half.
pub(crate) const CLIENT_SECRET: &str = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";

/// The server's permanent pair.
pub(crate) fn server_pair() -> CurveKeyPair {
    CurveKeyPair {
        public: CurvePublicKey::from_z85(SERVER_PUBLIC).unwrap(),
        secret: CurveSecretKey::from_z85(SERVER_SECRET).unwrap(),
    }
}

/// The client's permanent pair.
pub(crate) fn client_pair() -> CurveKeyPair {
    CurveKeyPair {
        public: CurvePublicKey::from_z85(CLIENT_PUBLIC).unwrap(),
        secret: CurveSecretKey::from_z85(CLIENT_SECRET).unwrap(),
    }
}

/// A raw key pair for the reference peer: secret octets and the public key
/// computed by `crypto_box` itself.
#[derive(Clone)]
pub(crate) struct RawPair {
    pub(crate) public: [u8; 32],
    pub(crate) secret: [u8; 32],
}

impl RawPair {
    /// The pair whose secret is `seed` repeated.
    pub(crate) fn from_seed(seed: u8) -> RawPair {
        let secret = [seed; 32];
        let public = SecretKey::from(secret).public_key().to_bytes();
        RawPair { public, secret }
    }

    /// The reference form of an oxmq pair.
    pub(crate) fn of(pair: &CurveKeyPair) -> RawPair {
        RawPair {
            public: pair.public.to_bytes(),
            secret: *pair.secret.expose_bytes(),
        }
    }
}

/// A 24-octet nonce: `prefix` then `tail`.
pub(crate) fn nonce(prefix: &[u8], tail: &[u8]) -> Nonce {
    assert_eq!(prefix.len() + tail.len(), 24);
    let mut n = [0u8; 24];
    n[..prefix.len()].copy_from_slice(prefix);
    n[prefix.len()..].copy_from_slice(tail);
    *Nonce::from_slice(&n)
}

/// `Box[plain](ours->theirs)`: tag then ciphertext.
pub(crate) fn seal(theirs: &[u8; 32], ours: &[u8; 32], n: &Nonce, plain: &[u8]) -> Vec<u8> {
    SalsaBox::new(&PublicKey::from(*theirs), &SecretKey::from(*ours))
        .encrypt(n, plain)
        .unwrap()
}

/// Opens `Box[…](theirs->ours)`.
pub(crate) fn open(theirs: &[u8; 32], ours: &[u8; 32], n: &Nonce, boxed: &[u8]) -> Option<Vec<u8>> {
    SalsaBox::new(&PublicKey::from(*theirs), &SecretKey::from(*ours))
        .decrypt(n, boxed)
        .ok()
}

/// `SecretBox[plain](key)`.
pub(crate) fn secret_seal(key: &[u8; 32], n: &Nonce, plain: &[u8]) -> Vec<u8> {
    XSalsa20Poly1305::new(crypto_secretbox::Key::from_slice(key))
        .encrypt(n, plain)
        .unwrap()
}

/// A command body: size-prefixed name, then the parts.
pub(crate) fn body(name: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut b = vec![name.len() as u8];
    b.extend_from_slice(name);
    for p in parts {
        b.extend_from_slice(p);
    }
    b
}

/// Splits a byte stream into its frames: `(flags, body)`.
pub(crate) fn frames(mut wire: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    while !wire.is_empty() {
        let flags = wire[0];
        let (len, header) = if flags & 0x02 != 0 {
            let mut raw = [0u8; 8];
            raw.copy_from_slice(&wire[1..9]);
            (u64::from_be_bytes(raw) as usize, 9)
        } else {
            (usize::from(wire[1]), 2)
        };
        out.push((flags, wire[header..header + len].to_vec()));
        wire = &wire[header + len..];
    }
    out
}

/// A MESSAGE command body built by the reference: `nonce`, inner `flags`
/// and `payload`, boxed from `ours` to `theirs` with `prefix`.
pub(crate) fn reference_message(
    theirs: &[u8; 32],
    ours: &[u8; 32],
    prefix: &[u8; 16],
    n: u64,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut plain = vec![flags];
    plain.extend_from_slice(payload);
    let boxed = seal(theirs, ours, &nonce(prefix, &n.to_be_bytes()), &plain);
    body(b"MESSAGE", &[&n.to_be_bytes(), &boxed])
}

/// Opens a MESSAGE command body with the reference: `(nonce, flags, payload)`.
pub(crate) fn open_message(
    theirs: &[u8; 32],
    ours: &[u8; 32],
    prefix: &[u8; 16],
    body: &[u8],
) -> Option<(u64, u8, Vec<u8>)> {
    assert_eq!(&body[..8], b"\x07MESSAGE");
    let mut raw = [0u8; 8];
    raw.copy_from_slice(&body[8..16]);
    let n = u64::from_be_bytes(raw);
    let plain = open(theirs, ours, &nonce(prefix, &raw), &body[16..])?;
    Some((n, plain[0], plain[1..].to_vec()))
}

/// Metadata as the reference writes it.
pub(crate) fn metadata_for(ty: SocketType) -> Vec<u8> {
    let mut md = Metadata::new();
    md.insert("Socket-Type", ty.as_str());
    if ty.sends_identity() {
        md.insert("Identity", "");
    }
    let mut out = Vec::new();
    md.encode(&mut out);
    out
}

/// Our description of a local socket of type `ty`.
pub(crate) fn local(ty: SocketType) -> LocalInfo {
    LocalInfo::new(ty, None, &Metadata::new())
}

/// Runs a frame body through `cipher`: the whole wire frame it produces.
pub(crate) fn encrypt_frame(cipher: &mut dyn FrameCipher, flags: u8, frame: &[u8]) -> Vec<u8> {
    let mut dst = BytesMut::new();
    cipher.encrypt(flags, frame, &mut dst).unwrap();
    dst.to_vec()
}

/// The body of a single wire frame holding a MESSAGE (which libzmq frames
/// without the COMMAND flag).
pub(crate) fn frame_body(wire: &[u8]) -> Bytes {
    let fs = frames(wire);
    assert_eq!(fs.len(), 1);
    assert_eq!(fs[0].0 & !0x02, 0, "MESSAGE in a frame with flags");
    Bytes::from(fs[0].1.clone())
}

/// A hand-made CURVE client: transient pair, and the server's S' and cookie
/// once WELCOME is read.
pub(crate) struct ReferenceClient {
    pub(crate) permanent: RawPair,
    pub(crate) transient: RawPair,
    pub(crate) server_key: [u8; 32],
    pub(crate) server_transient: [u8; 32],
    pub(crate) cookie: Vec<u8>,
}

impl ReferenceClient {
    /// A client with libzmq's test pair and a transient pair from `seed`.
    pub(crate) fn new(server_key: [u8; 32], seed: u8) -> ReferenceClient {
        ReferenceClient {
            permanent: RawPair::of(&client_pair()),
            transient: RawPair::from_seed(seed),
            server_key,
            server_transient: [0; 32],
            cookie: Vec::new(),
        }
    }

    /// HELLO with short nonce `n`.
    pub(crate) fn hello(&self, n: u64) -> Vec<u8> {
        let signature = seal(
            &self.server_key,
            &self.transient.secret,
            &nonce(b"CurveZMQHELLO---", &n.to_be_bytes()),
            &[0u8; 64],
        );
        body(
            b"HELLO",
            &[
                &[1, 0],
                &[0u8; 72],
                &self.transient.public,
                &n.to_be_bytes(),
                &signature,
            ],
        )
    }

    /// Reads WELCOME; panics if it does not open.
    pub(crate) fn read_welcome(&mut self, welcome: &[u8]) {
        let plain = open(
            &self.server_key,
            &self.transient.secret,
            &nonce(b"WELCOME-", &welcome[8..24]),
            &welcome[24..],
        )
        .expect("WELCOME opens");
        self.server_transient.copy_from_slice(&plain[..32]);
        self.cookie = plain[32..].to_vec();
    }

    /// INITIATE with short nonce `n`, a vouch for `(vouch_transient,
    /// vouch_server)` and `metadata`.
    pub(crate) fn initiate_with(
        &self,
        n: u64,
        vouch_transient: &[u8; 32],
        vouch_server: &[u8; 32],
        metadata: &[u8],
    ) -> Vec<u8> {
        let vouch_nonce = [0x33u8; 16];
        let vouch_box = seal(
            &self.server_transient,
            &self.permanent.secret,
            &nonce(b"VOUCH---", &vouch_nonce),
            &[&vouch_transient[..], &vouch_server[..]].concat(),
        );
        let inner = [
            &self.permanent.public[..],
            &vouch_nonce[..],
            &vouch_box[..],
            metadata,
        ]
        .concat();
        let boxed = seal(
            &self.server_transient,
            &self.transient.secret,
            &nonce(b"CurveZMQINITIATE", &n.to_be_bytes()),
            &inner,
        );
        body(b"INITIATE", &[&self.cookie, &n.to_be_bytes(), &boxed])
    }

    /// A correct INITIATE with short nonce `n` for a socket of type `ty`.
    pub(crate) fn initiate(&self, n: u64, ty: SocketType) -> Vec<u8> {
        self.initiate_with(
            n,
            &self.transient.public,
            &self.server_key,
            &metadata_for(ty),
        )
    }
}
