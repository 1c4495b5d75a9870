//! The vault keys the command line opens stores with: read from files
//! (`--vault-key-file`, `--previous-vault-key-file`), never from the command
//! line itself, where `ps` and shell history would show them.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use partner_benefits::Error;
use partner_benefits::sealing::Keyring;

/// The keyring of this run, set once from the flags before any store is
/// opened; a process runs one subcommand, so one keyring serves them all.
static KEYRING: OnceLock<Keyring> = OnceLock::new();

/// Reads the key files and keeps the keyring for [`keyring`].
pub fn load(current: Option<&Path>, previous: &[PathBuf]) -> Result<(), Error> {
    let current = current.map(read).transpose()?;
    let previous = previous.iter().map(|path| read(path)).collect::<Result<Vec<_>, _>>()?;
    let previous: Vec<&[u8]> = previous.iter().map(Vec::as_slice).collect();
    let ring = Keyring::from_bytes(current.as_deref(), &previous)?;
    let _ = KEYRING.set(ring);
    Ok(())
}

/// The keyring the flags gave (none when no key file was named).
pub fn keyring() -> Keyring {
    KEYRING.get().cloned().unwrap_or_default()
}

/// A key file holds the 32 bytes raw, or as 64 hexadecimal digits (with any
/// surrounding whitespace). Errors name the file, never its content.
fn read(path: &Path) -> Result<Vec<u8>, Error> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| Error::InvalidInput {
        field: "vault-key-file".into(),
        reason: format!("cannot read the vault key file `{shown}`: {e}"),
    })?;
    if bytes.len() == 32 {
        return Ok(bytes);
    }
    let text = String::from_utf8_lossy(&bytes);
    let hex = text.trim();
    let decoded = (hex.len() == 64 && hex.is_ascii())
        .then(|| (0..32).map(|i| hex.get(2 * i..2 * i + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok())).collect::<Option<Vec<u8>>>())
        .flatten();
    decoded.ok_or_else(|| Error::InvalidInput {
        field: "vault-key-file".into(),
        reason: format!("the vault key file `{shown}` holds neither 32 bytes nor 64 hexadecimal digits"),
    })
}
