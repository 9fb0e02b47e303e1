//! A TPM 2.0, spoken to directly (no tpm2-tss library): the few commands a sealed identity
//! needs, written from the TCG "TPM 2.0 Library, Part 3: Commands" (#19).
//!
//! [`Tpm::seal`] makes a keyedhash sealed-data object holding a secret under the owner
//! hierarchy's storage primary key, and [`Tpm::unseal`] loads it back and reads the secret. The
//! primary key is never stored: it is re-derived with `TPM2_CreatePrimary` from the owner
//! seed and the standard ECC P-256 storage template each time, so only the TPM that sealed
//! an object can load it (a copy fails the parent's integrity check at `TPM2_Load`). The
//! object's authValue is the SHA-256 of the PIN. `TPM2_Create` and `TPM2_Unseal` run in a
//! salted HMAC session with parameter encryption (`session`): the PIN only keys HMACs, and
//! the secret crosses the bus encrypted both ways. The object does not set `noDA`, so the
//! TPM's dictionary-attack logic counts wrong PINs and locks out after its own limit.
//! Without a PIN the object sets `noDA` (there is nothing to guess), so a lockout caused
//! elsewhere does not stop an unattended machine.
//!
//! Every handle loaded is flushed when the [`Tpm`] is dropped, whatever failed.

pub mod peer;
pub mod sealed;
pub mod session;
pub mod transport;
pub mod wire;

use sha2::Digest as _;
use zeroize::Zeroizing;

pub use sealed::Sealed;
use sealed::prefixed;
use transport::{Link, Tcti};
use wire::{Command, Malformed, Reader, Response};

const CC_CREATE_PRIMARY: u32 = 0x131;
const CC_STARTUP: u32 = 0x144;
const CC_CREATE: u32 = 0x153;
const CC_LOAD: u32 = 0x157;
const CC_UNSEAL: u32 = 0x15E;
const CC_FLUSH_CONTEXT: u32 = 0x165;
const CC_START_AUTH_SESSION: u32 = 0x176;
const CC_GET_CAPABILITY: u32 = 0x17A;

const RH_OWNER: u32 = 0x4000_0001;
const RH_NULL: u32 = 0x4000_0007;
const ALG_AES: u16 = 0x0006;
const ALG_KEYEDHASH: u16 = 0x0008;
const ALG_SHA256: u16 = 0x000B;
const ALG_NULL: u16 = 0x0010;
const ALG_ECC: u16 = 0x0023;
const ALG_CFB: u16 = 0x0043;
const ECC_NIST_P256: u16 = 0x0003;

// TPMA_OBJECT bits (Part 2 §8.3).
const FIXED_TPM: u32 = 1 << 1;
const FIXED_PARENT: u32 = 1 << 4;
const SENSITIVE_DATA_ORIGIN: u32 = 1 << 5;
const USER_WITH_AUTH: u32 = 1 << 6;
const NO_DA: u32 = 1 << 10;
const RESTRICTED: u32 = 1 << 16;
const DECRYPT: u32 = 1 << 17;

/// `TPM_RC_INITIALIZE`: the TPM has not been started (a fresh simulator).
const RC_INITIALIZE: u32 = 0x100;
/// `TPM_RC_LOCKOUT`: the dictionary-attack logic is in lockout.
const RC_LOCKOUT: u32 = 0x921;
const CAP_TPM_PROPERTIES: u32 = 6;
/// `TPM_PT_LOCKOUT_COUNTER`; `MAX_AUTH_FAIL`, `LOCKOUT_INTERVAL`, `LOCKOUT_RECOVERY` follow.
const PT_LOCKOUT_COUNTER: u32 = 0x20E;
/// The largest secret a sealed-data object holds (`MAX_SYM_DATA`).
pub const MAX_SEALED: usize = 128;

/// What went wrong talking to the TPM.
#[derive(Debug)]
pub enum TpmError {
    /// `TPM2TOOLS_TCTI`/`TCTI` names a kind this module does not speak.
    Unsupported(String),
    /// The device or socket cannot be opened.
    Unreachable(Tcti, std::io::Error),
    /// The socket is served by another user's process (its uid): not a TPM of ours.
    NotYours(Tcti, u32),
    /// Reading or writing failed, or the response was malformed.
    Io(std::io::Error),
    /// The response did not parse.
    Malformed(Malformed),
    /// The response's HMAC did not match: something between here and the TPM changed it.
    Tampered,
    /// This TPM's storage key is not the one the object was sealed under.
    OtherParent,
    /// The TPM answered `command` with a non-zero response code.
    Code {
        /// The command's name.
        command: &'static str,
        /// The response code.
        code: u32,
    },
}

impl std::fmt::Display for TpmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unsupported(what) => write!(f, "{what} is not supported"),
            Self::Unreachable(tcti, e) => write!(f, "no TPM at {tcti} ({e})"),
            Self::NotYours(tcti, uid) => write!(
                f,
                "the TPM at {tcti} is served by a process of {} (uid {uid}), not by you or root",
                peer::name_of(*uid)
            ),
            Self::Io(e) => write!(f, "talking to the TPM failed ({e})"),
            Self::Malformed(m) => m.fmt(f),
            Self::OtherParent => write!(
                f,
                "this TPM's storage key is not the one it was sealed under"
            ),
            Self::Tampered => write!(
                f,
                "the TPM's answer failed its HMAC check: something between aisecrets and the TPM changed it"
            ),
            Self::Code { command, code } => {
                write!(f, "the TPM refused {command} (response code {code:#x})")
            }
        }
    }
}

impl std::error::Error for TpmError {}

impl From<Malformed> for TpmError {
    fn from(m: Malformed) -> Self {
        Self::Malformed(m)
    }
}

impl TpmError {
    /// The format-1 error number (`TPM_RC_FMT1` set), without its handle/parameter/session
    /// bits.
    fn fmt1(&self) -> Option<u32> {
        match self {
            Self::Code { code, .. } if code & 0x80 != 0 => Some(code & 0x3F),
            _ => None,
        }
    }

    /// A wrong authorization value (`TPM_RC_AUTH_FAIL`, counted; or `TPM_RC_BAD_AUTH`).
    #[must_use]
    pub fn is_wrong_auth(&self) -> bool {
        matches!(self.fmt1(), Some(0x0E | 0x22))
    }

    /// Sealed by another TPM, or under an owner seed this TPM no longer has (`TPM2_Clear`):
    /// its storage key is not the one recorded, or the object's integrity check failed
    /// (`TPM_RC_INTEGRITY`).
    #[must_use]
    pub fn is_foreign(&self) -> bool {
        matches!(self, Self::OtherParent)
            || matches!(
                self,
                Self::Code {
                    command: "TPM2_Load",
                    ..
                }
            ) && self.fmt1() == Some(0x1F)
    }

    /// `TPM_RC_FAILURE`: failure mode, or (swtpm) never powered on.
    #[must_use]
    pub fn is_failure_mode(&self) -> bool {
        matches!(self, Self::Code { code: 0x101, .. })
    }

    /// The dictionary-attack lockout is on.
    #[must_use]
    pub fn is_lockout(&self) -> bool {
        matches!(
            self,
            Self::Code {
                code: RC_LOCKOUT,
                ..
            }
        )
    }
}

/// The storage primary key: its transient handle and public point.
struct Primary {
    handle: u32,
    x: Vec<u8>,
    y: Vec<u8>,
    /// Its name (nameAlg || SHA-256 of its public area), for cpHash.
    name: Vec<u8>,
}

/// The public point of an ECC `TPMT_PUBLIC`.
fn ecc_point(r: &mut Reader<'_>) -> Result<(Vec<u8>, Vec<u8>), TpmError> {
    if r.u16()? != ALG_ECC {
        return Err(Malformed("the storage key is not ECC").into());
    }
    let _name_alg = r.u16()?;
    let _attrs = r.u32()?;
    let _policy = r.sized()?;
    if r.u16()? != ALG_NULL {
        let _bits_and_mode = (r.u16()?, r.u16()?);
    }
    if r.u16()? != ALG_NULL {
        let _hash = r.u16()?;
    }
    let _curve = r.u16()?;
    if r.u16()? != ALG_NULL {
        let _hash = r.u16()?;
    }
    Ok((r.sized()?.to_vec(), r.sized()?.to_vec()))
}

/// The dictionary-attack state, from `TPM2_GetCapability`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockout {
    /// Failed authorizations counted now.
    pub counter: u32,
    /// How many make the TPM lock out.
    pub max: u32,
    /// Seconds after which one failure is forgotten.
    pub interval: u32,
}

impl Lockout {
    /// Wrong PINs the TPM takes before it locks out; 0 while it is locked out.
    #[must_use]
    pub const fn left(&self) -> u32 {
        self.max.saturating_sub(self.counter)
    }
}

/// What `TPM2_Unseal` answers while the TPM is locked out, for a refusal made before it.
pub const LOCKED_OUT: TpmError = TpmError::Code {
    command: "TPM2_Unseal",
    code: RC_LOCKOUT,
};

/// The authValue for a PIN: its SHA-256 (so any length fits the 32 bytes a SHA-256 object
/// allows), or empty without one.
fn auth_value(pin: Option<&[u8]>) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(
        pin.map(|p| sha2::Sha256::digest(p).to_vec())
            .unwrap_or_default(),
    )
}

/// A connection to the TPM, with the transient handles to flush when done.
pub struct Tpm {
    link: Link,
    handles: Vec<u32>,
}

impl Drop for Tpm {
    fn drop(&mut self) {
        for h in std::mem::take(&mut self.handles) {
            let mut c = Command::new(CC_FLUSH_CONTEXT, false);
            c.u32(h);
            let _ = self.link.transact(&c.finish());
        }
    }
}

impl Tpm {
    /// Connects to the TPM the environment names ([`Tcti::from_env`]).
    ///
    /// # Errors
    /// An unsupported TCTI, or no TPM there.
    pub fn connect() -> Result<Self, TpmError> {
        let tcti = Tcti::from_env().map_err(TpmError::Unsupported)?;
        let link = tcti
            .connect()
            .map_err(|e| TpmError::Unreachable(tcti.clone(), e))?;
        // Before a byte is sent: another user's swtpm would hold what is sealed to it.
        let served_by = link.served_by().map_err(TpmError::Io)?;
        if let Some(uid) = served_by.filter(|&uid| !peer::allowed(uid)) {
            return Err(TpmError::NotYours(tcti, uid));
        }
        Ok(Self {
            link,
            handles: Vec::new(),
        })
    }

    /// Sends a command; a TPM that was never started gets `TPM2_Startup(CLEAR)` and the
    /// command again. Returns the whole response.
    fn call(&mut self, name: &'static str, cmd: Command) -> Result<Zeroizing<Vec<u8>>, TpmError> {
        let bytes = cmd.finish();
        let mut resp = self.link.transact(&bytes).map_err(TpmError::Io)?;
        if Response::parse(&resp)?.code == RC_INITIALIZE {
            let mut start = Command::new(CC_STARTUP, false);
            start.u16(0); // TPM_SU_CLEAR
            self.link.transact(&start.finish()).map_err(TpmError::Io)?;
            resp = self.link.transact(&bytes).map_err(TpmError::Io)?;
        }
        // `TPM_RC_RETRY`, `TPM_RC_YIELDED`, `TPM_RC_TESTING`: not started, send it again
        // (a TPM answers RETRY to the first failed authorization while it saves its
        // dictionary-attack state).
        for _ in 0..8 {
            if !matches!(Response::parse(&resp)?.code, 0x922 | 0x908 | 0x90A) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
            resp = self.link.transact(&bytes).map_err(TpmError::Io)?;
        }
        let code = Response::parse(&resp)?.code;
        if code != 0 {
            return Err(TpmError::Code {
                command: name,
                code,
            });
        }
        Ok(resp)
    }

    /// Re-derives the owner hierarchy's storage primary key (ECC P-256, AES-128-CFB: the
    /// TCG's standard SRK template) and returns its transient handle.
    fn primary(&mut self) -> Result<Primary, TpmError> {
        let mut c = Command::new(CC_CREATE_PRIMARY, true);
        c.u32(RH_OWNER).password_auth(&[]);
        c.sized_with(|s| {
            s.sized(&[]).sized(&[]);
        });
        c.sized_with(|p| {
            p.u16(ALG_ECC).u16(ALG_SHA256);
            p.u32(
                FIXED_TPM
                    | FIXED_PARENT
                    | SENSITIVE_DATA_ORIGIN
                    | USER_WITH_AUTH
                    | NO_DA
                    | RESTRICTED
                    | DECRYPT,
            );
            p.sized(&[]); // no policy
            p.u16(ALG_AES).u16(128).u16(ALG_CFB); // symmetric
            p.u16(ALG_NULL).u16(ECC_NIST_P256).u16(ALG_NULL); // scheme, curve, kdf
            p.sized(&[0; 32]).sized(&[0; 32]); // unique
        });
        c.sized(&[]).u32(0); // outsideInfo, creationPCR
        let resp = self.call("TPM2_CreatePrimary", c)?;
        let (handles, mut params) = Response::parse(&resp)?.params(1)?;
        let handle = handles[0];
        self.handles.push(handle);
        let public = params.sized()?;
        let (x, y) = ecc_point(&mut Reader::new(public))?;
        let name = [&ALG_SHA256.to_be_bytes()[..], &sha2::Sha256::digest(public)].concat();
        Ok(Primary { handle, x, y, name })
    }

    /// Starts a salted HMAC session (AES-128-CFB parameter encryption) whose salt is
    /// encrypted to `primary`.
    fn start_session(&mut self, primary: &Primary) -> Result<session::Session, TpmError> {
        let salt = session::salt_for(&primary.x, &primary.y)?;
        let nonce_caller = session::nonce();
        let mut c = Command::new(CC_START_AUTH_SESSION, false);
        c.u32(primary.handle).u32(RH_NULL);
        c.sized(&nonce_caller);
        // encryptedSalt: a TPM2B_ENCRYPTED_SECRET holding the marshalled TPMS_ECC_POINT.
        c.sized_with(|e| {
            e.sized(&salt.point.0).sized(&salt.point.1);
        });
        c.u8(0); // TPM_SE_HMAC
        c.u16(ALG_AES).u16(128).u16(ALG_CFB).u16(ALG_SHA256);
        let resp = self.call("TPM2_StartAuthSession", c)?;
        let (handles, mut params) = Response::parse(&resp)?.params(1)?;
        let handle = handles[0];
        self.handles.push(handle);
        let nonce_tpm = params.sized()?;
        Ok(session::Session::new(
            handle,
            &salt,
            &nonce_caller,
            nonce_tpm,
        ))
    }

    /// Flushes `handle` now.
    fn flush(&mut self, handle: u32) {
        self.handles.retain(|&h| h != handle);
        let mut c = Command::new(CC_FLUSH_CONTEXT, false);
        c.u32(handle);
        let _ = self.call("TPM2_FlushContext", c);
    }

    /// Seals `secret` (at most [`MAX_SEALED`] bytes) under this TPM's storage key, with
    /// `pin` as its authorization.
    ///
    /// # Errors
    /// The TPM refused or failed.
    pub fn seal(&mut self, secret: &[u8], pin: Option<&[u8]>) -> Result<Sealed, TpmError> {
        let parent = self.primary()?;
        let mut session = self.start_session(&parent)?;
        let auth = auth_value(pin);
        let mut attrs = FIXED_TPM | FIXED_PARENT | USER_WITH_AUTH;
        if pin.is_none() {
            attrs |= NO_DA;
        }
        // The parameters alone first: the first (the PIN's hash and the secret) is sent
        // encrypted, and cpHash covers them as sent.
        let mut params = Command::new(0, false);
        params.sized_with(|s| {
            s.sized(&auth)
                .sized(&secret[..secret.len().min(MAX_SEALED)]);
        });
        params.sized_with(|p| {
            p.u16(ALG_KEYEDHASH).u16(ALG_SHA256).u32(attrs);
            p.sized(&[]).u16(ALG_NULL).sized(&[]); // policy, scheme, unique
        });
        params.sized(&[]).u32(0);
        let mut params = params.finish();
        let params = params.get_mut(wire::HEADER..).unwrap_or_default();
        let sensitive_len = params
            .get(..2)
            .map_or(0, |b| usize::from(u16::from_be_bytes([b[0], b[1]])));
        let sent = session.begin(session::DECRYPT);
        if let Some(buf) = params.get_mut(2..2 + sensitive_len) {
            session.encrypt_command(&[], &sent, buf);
        }
        let cp_hash = session::digest(&[&CC_CREATE.to_be_bytes(), &parent.name, params]);
        let area = session.authorize(&sent, &cp_hash, &[]);
        let mut c = Command::new(CC_CREATE, true);
        c.u32(parent.handle).auth_area(&area).bytes(params);
        let resp = self.call("TPM2_Create", c);
        self.flush(session.handle);
        let resp = resp?;
        let (params, auth_area) = Response::parse(&resp)?.split()?;
        let rp_hash = session::digest(&[&0u32.to_be_bytes(), &CC_CREATE.to_be_bytes(), params]);
        session.verify(&rp_hash, &[], &sent, auth_area)?;
        let mut r = Reader::new(params);
        let private = r.sized()?;
        let public = r.sized()?;
        let sealed = Sealed {
            public: prefixed(public),
            private: prefixed(private),
            parent: prefixed(&parent.name),
        };
        self.flush(parent.handle);
        Ok(sealed)
    }

    /// This TPM's storage key, when it is the one `sealed` was sealed under (a stand-in
    /// answering as the TPM would have its own, and learn the session key).
    fn parent_of(&mut self, sealed: &Sealed) -> Result<Primary, TpmError> {
        let parent = self.primary()?;
        let recorded = Reader::new(&sealed.parent).sized().unwrap_or_default();
        let same: bool = subtle::ConstantTimeEq::ct_eq(recorded, parent.name.as_slice()).into();
        if !same {
            return Err(TpmError::OtherParent);
        }
        Ok(parent)
    }

    /// Checks that `sealed` was sealed by this TPM, before its PIN is asked.
    ///
    /// # Errors
    /// [`TpmError::is_foreign`] when it was not; the TPM refused or failed.
    pub fn check_parent(&mut self, sealed: &Sealed) -> Result<(), TpmError> {
        let parent = self.parent_of(sealed)?;
        self.flush(parent.handle);
        Ok(())
    }

    /// Loads `sealed` under this TPM's storage key and unseals it with `pin`.
    ///
    /// # Errors
    /// [`TpmError::is_foreign`] for an object this TPM did not seal,
    /// [`TpmError::is_wrong_auth`] for a wrong PIN (counted by the TPM),
    /// [`TpmError::is_lockout`] while the TPM is locked out.
    pub fn unseal(
        &mut self,
        sealed: &Sealed,
        pin: Option<&[u8]>,
    ) -> Result<Zeroizing<Vec<u8>>, TpmError> {
        let parent = self.parent_of(sealed)?;
        let mut c = Command::new(CC_LOAD, true);
        c.u32(parent.handle).password_auth(&[]);
        c.bytes(&sealed.private).bytes(&sealed.public);
        let resp = self.call("TPM2_Load", c)?;
        let (handles, mut params) = Response::parse(&resp)?.params(1)?;
        let item = handles[0];
        self.handles.push(item);
        let name = params.sized()?.to_vec();
        let mut session = self.start_session(&parent)?;
        self.flush(parent.handle);

        // The PIN only keys the HMAC, and the secret comes back encrypted.
        let auth = auth_value(pin);
        let sent = session.begin(session::ENCRYPT);
        let cp_hash = session::digest(&[&CC_UNSEAL.to_be_bytes(), &name]);
        let area = session.authorize(&sent, &cp_hash, &auth);
        let mut c = Command::new(CC_UNSEAL, true);
        c.u32(item).auth_area(&area);
        let resp = self.call("TPM2_Unseal", c);
        self.flush(item);
        self.flush(session.handle);
        let resp = resp?;
        let (params, auth_area) = Response::parse(&resp)?.split()?;
        let rp_hash = session::digest(&[&0u32.to_be_bytes(), &CC_UNSEAL.to_be_bytes(), params]);
        session.verify(&rp_hash, &auth, &sent, auth_area)?;
        let mut secret = Zeroizing::new(Reader::new(params).sized()?.to_vec());
        session.decrypt_response(&auth, &sent, &mut secret);
        Ok(secret)
    }

    /// The dictionary-attack counter and limits.
    ///
    /// # Errors
    /// The TPM refused or failed, or left out a property.
    pub fn lockout(&mut self) -> Result<Lockout, TpmError> {
        let mut c = Command::new(CC_GET_CAPABILITY, false);
        c.u32(CAP_TPM_PROPERTIES).u32(PT_LOCKOUT_COUNTER).u32(3);
        let resp = self.call("TPM2_GetCapability", c)?;
        let (_, r) = Response::parse(&resp)?.params(0)?;
        parse_lockout(r)
    }
}

/// Reads the lockout properties out of `TPM2_GetCapability`'s response parameters.
///
/// # Errors
/// A property missing, or the data shorter than it says.
pub fn parse_lockout(mut r: Reader<'_>) -> Result<Lockout, TpmError> {
    let _more = r.u8()?;
    if r.u32()? != CAP_TPM_PROPERTIES {
        return Err(Malformed("capability").into());
    }
    let count = r.u32()?;
    let (mut counter, mut max, mut interval) = (None, None, None);
    for _ in 0..count.min(64) {
        let (prop, value) = (r.u32()?, r.u32()?);
        match prop {
            PT_LOCKOUT_COUNTER => counter = Some(value),
            0x20F => max = Some(value),
            0x210 => interval = Some(value),
            _ => {}
        }
    }
    match (counter, max, interval) {
        (Some(counter), Some(max), Some(interval)) => Ok(Lockout {
            counter,
            max,
            interval,
        }),
        _ => Err(Malformed("the lockout properties are missing").into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_codes() {
        let code = |code| TpmError::Code {
            command: "TPM2_Unseal",
            code,
        };
        assert!(code(0x98E).is_wrong_auth());
        assert!(!code(0x921).is_wrong_auth());
        assert!(code(0x921).is_lockout());
        let load = TpmError::Code {
            command: "TPM2_Load",
            code: 0x1DF,
        };
        assert!(load.is_foreign());
        assert!(!code(0x1DF).is_foreign());
    }

    #[test]
    fn lockout_properties() {
        let mut b = vec![0u8];
        for v in [6u32, 3, 0x20E, 1, 0x20F, 3, 0x210, 1000] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        let l = parse_lockout(Reader::new(&b)).unwrap();
        assert_eq!((l.counter, l.max, l.interval), (1, 3, 1000));
        assert!(parse_lockout(Reader::new(&b[..10])).is_err());
    }
}
