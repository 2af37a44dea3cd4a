//! [`Zauth`]: a ready-made [`Authenticator`], after czmq's `zauth` actor.
//!
//! It decides with these rules, in this order (czmq's `zauth`):
//!
//! 1. **Address.** If the allow list is not empty, only peers whose IP
//!    address is on it pass this step; the others are refused. Otherwise,
//!    peers on the deny list are refused. (The deny list is ignored while
//!    there is an allow list.) A peer without an IP address (ipc) is on
//!    neither list.
//! 2. **Mechanism.** NULL peers that were not refused are let in. PLAIN
//!    peers must give a user name and password from the password table,
//!    even when their address is on the allow list. CURVE peers must
//!    present one of the allowed client public keys, unless any key is
//!    allowed; same remark. Peers of other mechanisms are let in only if
//!    their address is on the allow list.
//!
//! A refusal is `400 "No access"`; a peer let in gets `200 "OK"` and a user
//! id that received messages show as their `User-Id` property: the user
//! name for PLAIN, the client key in Z85 text for CURVE, nothing for NULL.
//!
//! Rules apply to every ZAP domain, unless a domain has rules of its own
//! ([`Zauth::set_domain_rules`]), which then replace them for that domain.
//! Rules can change while sockets use them; each handshake sees the rules
//! of its moment.
//!
//! # Usage
//!
//! ```
//! use std::net::Ipv4Addr;
//! use std::sync::Arc;
//! use oxmq_transports::{Context, Zauth};
//!
//! let zauth = Arc::new(Zauth::new());
//! zauth.deny(Ipv4Addr::new(10, 0, 0, 66));
//! zauth.add_plain_user("admin", "secret");
//! zauth.allow_curve_key([0x2a; 32]);
//!
//! // For every socket of the context that has no authenticator of its own:
//! let ctx = Context::new();
//! ctx.set_authenticator(Some(zauth.clone()));
//! // Later changes apply to later handshakes.
//! zauth.add_plain_user("guest", "guest");
//! ```
//!
//! Differences from czmq: a password file is read when
//! [`load_plain_passwords`](Zauth::load_plain_passwords) is called (czmq
//! re-reads it when it changes); CURVE keys are given one by one rather
//! than as a certificate directory, and no metadata is returned.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::net::IpAddr;
use std::path::Path;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use async_trait::async_trait;
use bytes::Bytes;
use oxmq_zmtp::{z85, AuthReply, MechanismName};

use crate::auth::{Authenticator, ZapRequest};

/// What can go wrong while configuring a [`Zauth`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ZauthError {
    /// The password file could not be read.
    #[error("cannot read password file: {0}")]
    Io(#[from] std::io::Error),
    /// A Z85 CURVE key that is not valid Z85.
    #[error("invalid Z85 key: {0}")]
    Z85(#[from] z85::Z85Error),
    /// A CURVE key that is not 32 octets (40 Z85 characters).
    #[error("a CURVE public key has 32 octets, not {0}")]
    KeyLength(usize),
}

/// One set of rules: address lists, PLAIN passwords, CURVE keys.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ZauthRules {
    allow: HashSet<IpAddr>,
    deny: HashSet<IpAddr>,
    passwords: HashMap<Bytes, Bytes>,
    any_curve_key: bool,
    curve_keys: HashSet<[u8; 32]>,
}

impl fmt::Debug for ZauthRules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Passwords stay out of logs.
        f.debug_struct("ZauthRules")
            .field("allow", &self.allow)
            .field("deny", &self.deny)
            .field("plain_users", &self.passwords.len())
            .field("any_curve_key", &self.any_curve_key)
            .field("curve_keys", &self.curve_keys.len())
            .finish()
    }
}

/// IPv4-mapped IPv6 addresses compare as the IPv4 address.
fn canonical(addr: IpAddr) -> IpAddr {
    addr.to_canonical()
}

/// What a `user=password` file holds, in czmq's `zhash_load` format: one
/// entry per line, split at the first `=`; lines starting with `#`, without
/// `=`, or with nothing before it are skipped; a final `\r` is dropped.
fn parse_passwords(text: &[u8]) -> HashMap<Bytes, Bytes> {
    text.split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .filter(|line| !line.starts_with(b"#"))
        .filter_map(|line| {
            let eq = line.iter().position(|&b| b == b'=')?;
            (eq > 0).then(|| {
                (
                    Bytes::copy_from_slice(&line[..eq]),
                    Bytes::copy_from_slice(&line[eq + 1..]),
                )
            })
        })
        .collect()
}

/// Decodes a 40-character Z85 CURVE key.
fn z85_key(text: &str) -> Result<[u8; 32], ZauthError> {
    let raw = z85::decode(text)?;
    <[u8; 32]>::try_from(&raw[..]).map_err(|_| ZauthError::KeyLength(raw.len()))
}

impl ZauthRules {
    /// No rules: NULL peers are let in, PLAIN and CURVE peers refused.
    pub fn new() -> Self {
        ZauthRules::default()
    }

    /// Puts an address on the allow list.
    pub fn allow(&mut self, addr: impl Into<IpAddr>) -> &mut Self {
        self.allow.insert(canonical(addr.into()));
        self
    }

    /// Puts an address on the deny list (ignored while the allow list is
    /// not empty).
    pub fn deny(&mut self, addr: impl Into<IpAddr>) -> &mut Self {
        self.deny.insert(canonical(addr.into()));
        self
    }

    /// Adds (or replaces) a PLAIN user.
    pub fn add_plain_user(
        &mut self,
        user: impl Into<Bytes>,
        password: impl Into<Bytes>,
    ) -> &mut Self {
        self.passwords.insert(user.into(), password.into());
        self
    }

    /// Removes a PLAIN user; true if it existed.
    pub fn remove_plain_user(&mut self, user: &[u8]) -> bool {
        self.passwords.remove(user).is_some()
    }

    /// Replaces the PLAIN users with those of a `user=password` file (the
    /// format of czmq's `zhash_load`: one entry per line, split at the
    /// first `=`, `#` starts a comment line). Returns how many were read.
    /// On error the users are left as they were.
    pub fn load_plain_passwords(&mut self, path: impl AsRef<Path>) -> Result<usize, ZauthError> {
        let text = std::fs::read(path)?;
        self.passwords = parse_passwords(&text);
        Ok(self.passwords.len())
    }

    /// Lets in CURVE clients whatever their key (czmq's `CURVE_ALLOW_ANY`),
    /// or, with `false`, only those with an allowed key.
    pub fn allow_any_curve_key(&mut self, on: bool) -> &mut Self {
        self.any_curve_key = on;
        self
    }

    /// Lets in CURVE clients with this public key (32 raw octets; a
    /// `CurvePublicKey` converts into them).
    pub fn allow_curve_key(&mut self, key: impl Into<[u8; 32]>) -> &mut Self {
        self.curve_keys.insert(key.into());
        self
    }

    /// [`allow_curve_key`](Self::allow_curve_key) with the key in Z85 text
    /// (40 characters).
    pub fn allow_curve_key_z85(&mut self, key: &str) -> Result<&mut Self, ZauthError> {
        let key = z85_key(key)?;
        Ok(self.allow_curve_key(key))
    }

    /// Stops letting in CURVE clients with this key; true if it was allowed.
    pub fn remove_curve_key(&mut self, key: impl Into<[u8; 32]>) -> bool {
        self.curve_keys.remove(&key.into())
    }

    /// The verdict on one request (see the [module docs](self)).
    pub fn check(&self, request: &ZapRequest) -> AuthReply {
        let (allowed, user_id) = self.decide(request);
        if allowed {
            AuthReply::allow(user_id)
        } else {
            AuthReply::deny(400, "No access")
        }
    }

    /// Whether the peer is let in, and its user id.
    fn decide(&self, request: &ZapRequest) -> (bool, Bytes) {
        let addr = request.address.parse::<IpAddr>().ok().map(canonical);
        let on = |list: &HashSet<IpAddr>| addr.is_some_and(|a| list.contains(&a));
        // Step 1: the address lists.
        let passed = if !self.allow.is_empty() {
            if !on(&self.allow) {
                tracing::debug!(target: "oxmq", address = %request.address, "zauth: denied (not on the allow list)");
                return (false, Bytes::new());
            }
            true
        } else {
            if on(&self.deny) {
                tracing::debug!(target: "oxmq", address = %request.address, "zauth: denied (deny list)");
                return (false, Bytes::new());
            }
            false
        };
        // Step 2: the mechanism.
        let m = request.mechanism;
        if m == MechanismName::NULL {
            (true, Bytes::new())
        } else if m == MechanismName::PLAIN {
            match request.plain_credentials() {
                Some((user, password))
                    if self.passwords.get(user).is_some_and(|p| p[..] == *password) =>
                {
                    (true, Bytes::copy_from_slice(user))
                }
                _ => {
                    tracing::debug!(target: "oxmq", address = %request.address, "zauth: denied (PLAIN credentials)");
                    (false, Bytes::new())
                }
            }
        } else if m == MechanismName::CURVE {
            match request.curve_public_key() {
                Some(key) if self.any_curve_key || self.curve_keys.contains(&key) => {
                    // 32 octets always encode; the fallback is unreachable.
                    let text = z85::encode(&key).unwrap_or_default();
                    (true, Bytes::from(text))
                }
                _ => {
                    tracing::debug!(target: "oxmq", address = %request.address, "zauth: denied (CURVE key)");
                    (false, Bytes::new())
                }
            }
        } else {
            (passed, Bytes::new())
        }
    }
}

/// A ready-made authenticator: address allow/deny lists, PLAIN passwords,
/// CURVE client keys, optionally per ZAP domain. See the
/// [module docs](self) for the rules.
///
/// The methods without `domain` in their name change the rules used for
/// every domain that has no rules of its own.
#[derive(Debug, Default)]
pub struct Zauth {
    rules: RwLock<ZauthRules>,
    domains: RwLock<HashMap<String, ZauthRules>>,
}

fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    // Every write is a single assignment or insertion: a panic elsewhere
    // cannot leave the rules half-changed.
    l.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|p| p.into_inner())
}

impl Zauth {
    /// No rules: NULL peers are let in, PLAIN and CURVE peers refused.
    pub fn new() -> Self {
        Zauth::default()
    }

    /// An authenticator with these rules for every domain.
    pub fn with_rules(rules: ZauthRules) -> Self {
        Zauth {
            rules: RwLock::new(rules),
            domains: RwLock::new(HashMap::new()),
        }
    }

    /// Puts an address on the allow list.
    pub fn allow(&self, addr: impl Into<IpAddr>) {
        write(&self.rules).allow(addr);
    }

    /// Puts an address on the deny list.
    pub fn deny(&self, addr: impl Into<IpAddr>) {
        write(&self.rules).deny(addr);
    }

    /// Adds (or replaces) a PLAIN user.
    pub fn add_plain_user(&self, user: impl Into<Bytes>, password: impl Into<Bytes>) {
        write(&self.rules).add_plain_user(user, password);
    }

    /// Removes a PLAIN user; true if it existed.
    pub fn remove_plain_user(&self, user: &[u8]) -> bool {
        write(&self.rules).remove_plain_user(user)
    }

    /// Replaces the PLAIN users with those of a `user=password` file; see
    /// [`ZauthRules::load_plain_passwords`].
    pub fn load_plain_passwords(&self, path: impl AsRef<Path>) -> Result<usize, ZauthError> {
        let text = std::fs::read(path)?;
        let passwords = parse_passwords(&text);
        let n = passwords.len();
        write(&self.rules).passwords = passwords;
        Ok(n)
    }

    /// Lets in CURVE clients whatever their key, or (`false`) only those
    /// with an allowed key.
    pub fn allow_any_curve_key(&self, on: bool) {
        write(&self.rules).allow_any_curve_key(on);
    }

    /// Lets in CURVE clients with this public key.
    pub fn allow_curve_key(&self, key: impl Into<[u8; 32]>) {
        write(&self.rules).allow_curve_key(key);
    }

    /// Lets in CURVE clients with this public key, in Z85 text.
    pub fn allow_curve_key_z85(&self, key: &str) -> Result<(), ZauthError> {
        let key = z85_key(key)?;
        write(&self.rules).allow_curve_key(key);
        Ok(())
    }

    /// Stops letting in CURVE clients with this key; true if it was allowed.
    pub fn remove_curve_key(&self, key: impl Into<[u8; 32]>) -> bool {
        write(&self.rules).remove_curve_key(key)
    }

    /// A copy of the rules used for domains without rules of their own.
    pub fn rules(&self) -> ZauthRules {
        read(&self.rules).clone()
    }

    /// Replaces the rules used for domains without rules of their own.
    pub fn set_rules(&self, rules: ZauthRules) {
        *write(&self.rules) = rules;
    }

    /// Gives requests of ZAP domain `domain` rules of their own.
    pub fn set_domain_rules(&self, domain: impl Into<String>, rules: ZauthRules) {
        write(&self.domains).insert(domain.into(), rules);
    }

    /// Makes `domain` use the common rules again; true if it had its own.
    pub fn remove_domain_rules(&self, domain: &str) -> bool {
        write(&self.domains).remove(domain).is_some()
    }

    /// The verdict on one request.
    pub fn check(&self, request: &ZapRequest) -> AuthReply {
        if let Some(rules) = read(&self.domains).get(&request.domain) {
            return rules.check(request);
        }
        read(&self.rules).check(request)
    }
}

#[async_trait]
impl Authenticator for Zauth {
    async fn authenticate(&self, request: ZapRequest) -> AuthReply {
        self.check(&request)
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    const KEY: [u8; 32] = [0x11; 32];
    const OTHER_KEY: [u8; 32] = [0x22; 32];

    fn null(addr: &str) -> ZapRequest {
        ZapRequest::new(MechanismName::NULL, addr, Vec::new())
    }

    fn plain(addr: &str, user: &'static str, password: &'static str) -> ZapRequest {
        ZapRequest::new(
            MechanismName::PLAIN,
            addr,
            vec![user.into(), password.into()],
        )
    }

    fn curve(addr: &str, key: [u8; 32]) -> ZapRequest {
        ZapRequest::new(
            MechanismName::CURVE,
            addr,
            vec![Bytes::copy_from_slice(&key)],
        )
    }

    fn lets_in(z: &Zauth, req: &ZapRequest) -> bool {
        let reply = z.check(req);
        match reply.status_code {
            200 => {
                assert_eq!(reply.status_text, "OK");
                true
            }
            400 => {
                assert_eq!(reply.status_text, "No access");
                assert!(reply.user_id.is_empty());
                false
            }
            other => panic!("unexpected status {other}"),
        }
    }

    const LOCAL: Ipv4Addr = Ipv4Addr::LOCALHOST;

    #[test]
    fn no_rules_null_in_plain_and_curve_out() {
        let z = Zauth::new();
        assert!(lets_in(&z, &null("127.0.0.1")));
        assert!(lets_in(&z, &null("/tmp/some.ipc")));
        assert!(!lets_in(&z, &plain("127.0.0.1", "u", "p")));
        assert!(!lets_in(&z, &curve("127.0.0.1", KEY)));
        assert!(!lets_in(
            &z,
            &ZapRequest::new(MechanismName::new("GSSAPI"), "127.0.0.1", Vec::new())
        ));
    }

    #[test]
    fn deny_list_blocks_only_listed_addresses() {
        let z = Zauth::new();
        z.deny(LOCAL);
        assert!(!lets_in(&z, &null("127.0.0.1")));
        assert!(lets_in(&z, &null("10.1.2.3")));
        // ipc peers have no IP address: never on a list.
        assert!(lets_in(&z, &null("/tmp/x.sock")));
        // Even good PLAIN credentials do not get past the deny list.
        z.add_plain_user("admin", "secret");
        assert!(!lets_in(&z, &plain("127.0.0.1", "admin", "secret")));
        assert!(lets_in(&z, &plain("10.1.2.3", "admin", "secret")));
    }

    #[test]
    fn allow_list_admits_only_listed_addresses_and_ignores_deny_list() {
        let z = Zauth::new();
        z.allow(LOCAL);
        z.deny(LOCAL);
        assert!(lets_in(&z, &null("127.0.0.1")));
        assert!(!lets_in(&z, &null("10.1.2.3")));
        assert!(!lets_in(&z, &null("/tmp/x.sock")));
        assert!(!lets_in(&z, &null("")));
    }

    #[test]
    fn allowed_address_still_needs_plain_credentials() {
        let z = Zauth::new();
        z.allow(LOCAL);
        z.add_plain_user("admin", "secret");
        assert!(!lets_in(&z, &plain("127.0.0.1", "admin", "wrong")));
        assert!(lets_in(&z, &plain("127.0.0.1", "admin", "secret")));
        assert!(!lets_in(&z, &plain("10.0.0.1", "admin", "secret")));
    }

    #[test]
    fn allowed_address_still_needs_a_curve_key() {
        let z = Zauth::new();
        z.allow(LOCAL);
        assert!(!lets_in(&z, &curve("127.0.0.1", KEY)));
        z.allow_curve_key(KEY);
        assert!(lets_in(&z, &curve("127.0.0.1", KEY)));
    }

    #[test]
    fn other_mechanisms_need_the_allow_list() {
        let gssapi = |addr| ZapRequest::new(MechanismName::new("GSSAPI"), addr, Vec::new());
        let z = Zauth::new();
        z.deny(Ipv4Addr::new(10, 0, 0, 1));
        assert!(!lets_in(&z, &gssapi("127.0.0.1")));
        z.allow(LOCAL);
        assert!(lets_in(&z, &gssapi("127.0.0.1")));
    }

    #[test]
    fn ipv6_and_mapped_addresses() {
        let z = Zauth::new();
        z.allow(Ipv6Addr::LOCALHOST);
        z.allow(Ipv4Addr::new(192, 168, 1, 9));
        assert!(lets_in(&z, &null("::1")));
        assert!(lets_in(&z, &null("0:0:0:0:0:0:0:1")));
        assert!(lets_in(&z, &null("::ffff:192.168.1.9")));
        assert!(!lets_in(&z, &null("::2")));
    }

    #[test]
    fn plain_user_id_is_the_user_name() {
        let z = Zauth::new();
        z.add_plain_user("admin", "secret");
        z.add_plain_user("guest", "");
        let reply = z.check(&plain("127.0.0.1", "admin", "secret"));
        assert_eq!(reply.status_code, 200);
        assert_eq!(&reply.user_id[..], b"admin");
        assert!(lets_in(&z, &plain("127.0.0.1", "guest", "")));
        assert!(!lets_in(&z, &plain("127.0.0.1", "guest", "x")));
        assert!(!lets_in(&z, &plain("127.0.0.1", "nobody", "")));
        assert!(!lets_in(&z, &plain("127.0.0.1", "admin", "secre")));
        assert!(z.remove_plain_user(b"admin"));
        assert!(!z.remove_plain_user(b"admin"));
        assert!(!lets_in(&z, &plain("127.0.0.1", "admin", "secret")));
    }

    #[test]
    fn malformed_plain_request_is_refused() {
        let z = Zauth::new();
        z.add_plain_user("admin", "secret");
        let one_frame = ZapRequest::new(MechanismName::PLAIN, "127.0.0.1", vec!["admin".into()]);
        assert!(!lets_in(&z, &one_frame));
    }

    #[test]
    fn curve_key_list_and_z85_user_id() {
        let z = Zauth::new();
        z.allow_curve_key(KEY);
        let reply = z.check(&curve("127.0.0.1", KEY));
        assert_eq!(reply.status_code, 200);
        let text = z85::encode(&KEY).expect("32 octets");
        assert_eq!(text.len(), 40);
        assert_eq!(&reply.user_id[..], text.as_bytes());
        assert!(!lets_in(&z, &curve("127.0.0.1", OTHER_KEY)));
        assert!(z.remove_curve_key(KEY));
        assert!(!lets_in(&z, &curve("127.0.0.1", KEY)));
    }

    #[test]
    fn curve_allow_any() {
        let z = Zauth::new();
        z.allow_any_curve_key(true);
        let reply = z.check(&curve("127.0.0.1", OTHER_KEY));
        assert_eq!(reply.status_code, 200);
        assert_eq!(reply.user_id, z85::encode(&OTHER_KEY).expect("encodes"));
        // A key of the wrong size is still refused.
        let short = ZapRequest::new(
            MechanismName::CURVE,
            "127.0.0.1",
            vec![Bytes::from(vec![1u8; 31])],
        );
        assert!(!lets_in(&z, &short));
        z.allow_any_curve_key(false);
        assert!(!lets_in(&z, &curve("127.0.0.1", OTHER_KEY)));
    }

    #[test]
    fn curve_keys_in_z85() {
        let z = Zauth::new();
        let text = z85::encode(&KEY).expect("encodes");
        z.allow_curve_key_z85(&text).expect("valid");
        assert!(lets_in(&z, &curve("127.0.0.1", KEY)));
        assert!(matches!(
            z.allow_curve_key_z85("HelloWorld"),
            Err(ZauthError::KeyLength(8))
        ));
        assert!(matches!(
            z.allow_curve_key_z85(&text[..39]),
            Err(ZauthError::Z85(_))
        ));
        assert!(matches!(
            z.allow_curve_key_z85(&format!("~{}", &text[1..])),
            Err(ZauthError::Z85(_))
        ));
    }

    #[test]
    fn password_file_format() {
        let text =
            b"# users\nadmin=secret\r\nempty=\n=nouser\nnoequals\nweird=a=b\n  spaced = x \nlast=1";
        let p = parse_passwords(text);
        let get = |k: &str| p.get(k.as_bytes()).map(|v| v.to_vec());
        assert_eq!(get("admin"), Some(b"secret".to_vec()));
        assert_eq!(get("empty"), Some(Vec::new()));
        assert_eq!(get("weird"), Some(b"a=b".to_vec()));
        assert_eq!(get("  spaced "), Some(b" x ".to_vec()));
        assert_eq!(get("last"), Some(b"1".to_vec()));
        assert_eq!(get("# users"), None);
        assert_eq!(get("noequals"), None);
        assert_eq!(p.len(), 5);
    }

    #[test]
    fn password_file_replaces_users() {
        let path =
            std::env::temp_dir().join(format!("oxmq-zauth-passwords-{}.txt", std::process::id()));
        std::fs::write(&path, "alice=wonderland\nbob=builder\n").expect("write");
        let z = Zauth::new();
        z.add_plain_user("old", "user");
        assert_eq!(z.load_plain_passwords(&path).expect("load"), 2);
        assert!(lets_in(&z, &plain("127.0.0.1", "alice", "wonderland")));
        assert!(lets_in(&z, &plain("127.0.0.1", "bob", "builder")));
        assert!(!lets_in(&z, &plain("127.0.0.1", "old", "user")));
        let mut rules = ZauthRules::new();
        assert_eq!(rules.load_plain_passwords(&path).expect("load"), 2);
        std::fs::remove_file(&path).expect("remove");
        // A missing file is an error and changes nothing.
        assert!(matches!(
            z.load_plain_passwords(&path),
            Err(ZauthError::Io(_))
        ));
        assert!(lets_in(&z, &plain("127.0.0.1", "alice", "wonderland")));
    }

    #[test]
    fn domains_with_rules_of_their_own() {
        let z = Zauth::new();
        z.add_plain_user("admin", "secret");
        let mut strict = ZauthRules::new();
        strict
            .allow(Ipv4Addr::new(10, 0, 0, 1))
            .add_plain_user("ops", "pw");
        z.set_domain_rules("strict", strict);
        let in_domain = |mut r: ZapRequest, d: &str| {
            r.domain = d.into();
            r
        };
        // Common rules for other domains.
        assert!(lets_in(
            &z,
            &in_domain(plain("127.0.0.1", "admin", "secret"), "")
        ));
        assert!(lets_in(
            &z,
            &in_domain(plain("127.0.0.1", "admin", "secret"), "other")
        ));
        // The domain's rules replace them.
        assert!(!lets_in(
            &z,
            &in_domain(plain("127.0.0.1", "admin", "secret"), "strict")
        ));
        assert!(!lets_in(
            &z,
            &in_domain(plain("127.0.0.1", "ops", "pw"), "strict")
        ));
        assert!(lets_in(
            &z,
            &in_domain(plain("10.0.0.1", "ops", "pw"), "strict")
        ));
        assert!(z.remove_domain_rules("strict"));
        assert!(lets_in(
            &z,
            &in_domain(plain("127.0.0.1", "admin", "secret"), "strict")
        ));
        assert!(!z.remove_domain_rules("strict"));
    }

    #[test]
    fn rules_snapshot_and_replace() {
        let mut rules = ZauthRules::new();
        rules.add_plain_user("a", "b").allow_any_curve_key(true);
        let z = Zauth::with_rules(rules.clone());
        assert_eq!(z.rules(), rules);
        assert!(lets_in(&z, &curve("1.2.3.4", KEY)));
        z.set_rules(ZauthRules::new());
        assert!(!lets_in(&z, &curve("1.2.3.4", KEY)));
        // Passwords never show in Debug output.
        let shown = format!("{rules:?}");
        assert!(!shown.contains('"'), "{shown}");
    }

    #[tokio::test]
    async fn is_an_authenticator() {
        let z: std::sync::Arc<dyn Authenticator> = std::sync::Arc::new(Zauth::new());
        assert_eq!(z.authenticate(null("1.2.3.4")).await.status_code, 200);
        assert_eq!(
            z.authenticate(plain("1.2.3.4", "a", "b")).await.status_code,
            400
        );
    }
}
