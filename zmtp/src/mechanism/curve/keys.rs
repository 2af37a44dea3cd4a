//! CURVE keys: Curve25519 public and secret keys, as raw octets or Z85 text.
//!
//! Keys are 32 octets; their Z85 form (RFC 32) is 40 characters, the form
//! libzmq's `zmq_curve_keypair` prints and its `ZMQ_CURVE_*KEY` options
//! accept. A public key is derived from a secret key by an X25519 base-point
//! multiplication, as libzmq's `zmq_curve_public` does.
//!
//! A [`CurveSecretKey`] wipes its octets when dropped, compares in constant
//! time, and never shows them in `Debug` output.

use std::fmt;
use std::str::FromStr;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::z85::{self, Z85Error};

/// Length of a CURVE key in octets.
pub const KEY_LEN: usize = 32;

/// Length of a CURVE key in Z85 characters.
pub const Z85_KEY_LEN: usize = 40;

/// Why a key could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Z85 text of the wrong length (a key is 40 characters).
    #[error("a Z85 CURVE key is {Z85_KEY_LEN} characters, got {0}")]
    BadZ85Length(usize),
    /// The Z85 text is not valid.
    #[error("bad Z85 key: {0}")]
    Z85(#[from] Z85Error),
    /// Raw key material of the wrong length (a key is 32 octets).
    #[error("a CURVE key is {KEY_LEN} octets, got {0}")]
    BadLength(usize),
    /// The operating system's random number generator failed (the text
    /// says how).
    #[error("the operating system's random number generator failed: {0}")]
    Rng(String),
}

/// Fills `dst` from the operating system's random number generator.
pub(crate) fn random_bytes(dst: &mut [u8]) -> Result<(), KeyError> {
    getrandom::fill(dst).map_err(|e| KeyError::Rng(e.to_string()))
}

/// Decodes a 40-character Z85 key.
fn key_from_z85(text: &str) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyError> {
    if text.len() != Z85_KEY_LEN {
        return Err(KeyError::BadZ85Length(text.len()));
    }
    let decoded = Zeroizing::new(z85::decode(text)?);
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    key.copy_from_slice(&decoded);
    Ok(key)
}

/// Encodes a key as Z85 (32 octets always encode).
fn key_to_z85(key: &[u8; KEY_LEN]) -> String {
    z85::encode(key).unwrap_or_default()
}

/// A Curve25519 public key (a CURVE permanent or transient public key).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CurvePublicKey(pub [u8; KEY_LEN]);

impl CurvePublicKey {
    /// Wraps 32 raw octets.
    pub const fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        CurvePublicKey(bytes)
    }

    /// A key from a slice that must be exactly 32 octets.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, KeyError> {
        let raw: [u8; KEY_LEN] = bytes
            .try_into()
            .map_err(|_| KeyError::BadLength(bytes.len()))?;
        Ok(CurvePublicKey(raw))
    }

    /// Parses the 40-character Z85 form.
    pub fn from_z85(text: &str) -> Result<Self, KeyError> {
        key_from_z85(text).map(|k| CurvePublicKey(*k))
    }

    /// The 32 raw octets.
    pub const fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// The 32 raw octets, by value.
    pub const fn to_bytes(self) -> [u8; KEY_LEN] {
        self.0
    }

    /// The 40-character Z85 form.
    pub fn to_z85(&self) -> String {
        key_to_z85(&self.0)
    }

    pub(crate) fn to_box_key(self) -> crypto_box::PublicKey {
        crypto_box::PublicKey::from(self.0)
    }
}

impl From<[u8; KEY_LEN]> for CurvePublicKey {
    fn from(bytes: [u8; KEY_LEN]) -> Self {
        CurvePublicKey(bytes)
    }
}

impl From<CurvePublicKey> for [u8; KEY_LEN] {
    fn from(key: CurvePublicKey) -> Self {
        key.0
    }
}

impl AsRef<[u8]> for CurvePublicKey {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl FromStr for CurvePublicKey {
    type Err = KeyError;

    /// Parses the Z85 form.
    fn from_str(s: &str) -> Result<Self, KeyError> {
        CurvePublicKey::from_z85(s)
    }
}

impl fmt::Display for CurvePublicKey {
    /// Shows the Z85 form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_z85())
    }
}

impl fmt::Debug for CurvePublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CurvePublicKey({:?})", self.to_z85())
    }
}

/// A Curve25519 secret key, wiped from memory when dropped.
///
/// `Debug` shows only that the key is there; equality is constant time.
#[derive(Clone)]
pub struct CurveSecretKey([u8; KEY_LEN]);

impl CurveSecretKey {
    /// Wraps 32 raw octets (the argument is a copy the caller should wipe).
    pub const fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        CurveSecretKey(bytes)
    }

    /// A key from a slice that must be exactly 32 octets.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, KeyError> {
        if bytes.len() != KEY_LEN {
            return Err(KeyError::BadLength(bytes.len()));
        }
        let mut key = CurveSecretKey([0; KEY_LEN]);
        key.0.copy_from_slice(bytes);
        Ok(key)
    }

    /// Parses the 40-character Z85 form.
    pub fn from_z85(text: &str) -> Result<Self, KeyError> {
        key_from_z85(text).map(|k| CurveSecretKey(*k))
    }

    /// A fresh random key from the operating system's generator.
    pub fn generate() -> Result<Self, KeyError> {
        let mut key = CurveSecretKey([0; KEY_LEN]);
        random_bytes(&mut key.0)?;
        Ok(key)
    }

    /// The 32 raw octets. Handle with care.
    pub fn expose_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// The 40-character Z85 form, wiped when dropped. Handle with care.
    pub fn to_z85(&self) -> Zeroizing<String> {
        Zeroizing::new(key_to_z85(&self.0))
    }

    /// The matching public key: X25519 multiplication of the base point by
    /// this (clamped) secret, as libsodium's `crypto_scalarmult_base`.
    pub fn public_key(&self) -> CurvePublicKey {
        CurvePublicKey(self.to_box_key().public_key().to_bytes())
    }

    pub(crate) fn to_box_key(&self) -> crypto_box::SecretKey {
        crypto_box::SecretKey::from(self.0)
    }
}

impl Drop for CurveSecretKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl PartialEq for CurveSecretKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for CurveSecretKey {}

impl FromStr for CurveSecretKey {
    type Err = KeyError;

    /// Parses the Z85 form.
    fn from_str(s: &str) -> Result<Self, KeyError> {
        CurveSecretKey::from_z85(s)
    }
}

impl fmt::Debug for CurveSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CurveSecretKey(<redacted>)")
    }
}

/// A CURVE key pair: a public key and its secret key.
///
/// The fields are public so that a pair can be assembled from separately
/// stored halves, as libzmq's socket options allow; nothing checks that
/// they match (a mismatched pair fails the handshake). Use
/// [`from_secret`](Self::from_secret) to derive the public half.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurveKeyPair {
    /// The public key, given to peers.
    pub public: CurvePublicKey,
    /// The secret key, kept private.
    pub secret: CurveSecretKey,
}

impl CurveKeyPair {
    /// A fresh random key pair (libzmq's `zmq_curve_keypair`).
    ///
    /// # Panics
    ///
    /// Only if the operating system's random number generator fails; use
    /// [`try_generate`](Self::try_generate) to get an error instead.
    pub fn generate() -> Self {
        match Self::try_generate() {
            Ok(pair) => pair,
            Err(e) => panic_rng(e),
        }
    }

    /// A fresh random key pair, or the generator's failure.
    pub fn try_generate() -> Result<Self, KeyError> {
        Ok(Self::from_secret(CurveSecretKey::generate()?))
    }

    /// The pair of a secret key, its public half derived from it (libzmq's
    /// `zmq_curve_public`).
    pub fn from_secret(secret: CurveSecretKey) -> Self {
        CurveKeyPair {
            public: secret.public_key(),
            secret,
        }
    }

    /// The pair of a secret key given in Z85, its public half derived.
    pub fn from_z85_secret(secret: &str) -> Result<Self, KeyError> {
        Ok(Self::from_secret(CurveSecretKey::from_z85(secret)?))
    }

    /// Whether the public key is the one the secret key gives.
    pub fn is_consistent(&self) -> bool {
        self.secret.public_key() == self.public
    }
}

#[allow(clippy::panic)]
#[cold]
fn panic_rng(e: KeyError) -> ! {
    panic!("cannot generate a CURVE key pair: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_secret() {
        let pair = CurveKeyPair::generate();
        let shown = format!("{pair:?}");
        assert!(!shown.contains(pair.secret.to_z85().as_str()));
        assert!(shown.contains("<redacted>"));
        assert!(shown.contains(&pair.public.to_z85()));
    }

    #[test]
    fn generated_pairs_are_consistent_and_distinct() {
        let a = CurveKeyPair::generate();
        let b = CurveKeyPair::generate();
        assert!(a.is_consistent() && b.is_consistent());
        assert_ne!(a.public, b.public);
        assert_ne!(a.secret, b.secret);
    }
}
