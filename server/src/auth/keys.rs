//! The access-token signing secret: from configuration, or generated once and kept in the
//! secrets directory ([`crate::data_dir`]) readable by its owner only.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;

/// The file in the secrets directory that holds the generated signing key.
pub const SIGNING_KEY_FILE: &str = "jwt-signing.key";
const FILE: &str = SIGNING_KEY_FILE;

/// The configured secret, else the one stored in `secrets_dir`, else a new one stored there.
pub fn signing_secret(configured: Option<&str>, secrets_dir: &Path) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = configured {
        return Ok(secret.as_bytes().to_vec());
    }
    let path = secrets_dir.join(FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => STANDARD
            .decode(text.trim())
            .map_err(|e| anyhow::anyhow!("corrupt signing key {}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut secret = vec![0u8; 64];
            rand::rng().fill_bytes(&mut secret);
            write_private(&path, STANDARD.encode(&secret).as_bytes())?;
            tracing::info!(path = %path.display(), "generated a new token signing key");
            Ok(secret)
        }
        Err(e) => Err(anyhow::anyhow!(
            "cannot read signing key {}: {e}",
            path.display()
        )),
    }
}

/// Writes a new file that only its owner can read (0600), failing if it exists. Missing
/// parent directories are created 0700.
pub fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
    file.write_all(contents)?;
    file.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_key_is_kept_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = signing_secret(None, dir.path()).unwrap();
        assert_eq!(first.len(), 64);
        assert_eq!(signing_secret(None, dir.path()).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(
            signing_secret(Some("configured secret of enough length!"), dir.path()).unwrap(),
            b"configured secret of enough length!"
        );
    }
}
