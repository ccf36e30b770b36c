//! The data directory: created readable by its owner only, with the secrets Vigil generates
//! (the token signing key, the first admin password) in a `secrets/` directory of their own,
//! away from anything a watched directory could reach by default.

use std::path::{Path, PathBuf};

/// The directory under the data directory that holds generated secrets.
pub const SECRETS_DIR: &str = "secrets";

/// Files that earlier versions kept at the top of the data directory.
const MOVED_SECRETS: [&str; 2] = [
    crate::auth::keys::SIGNING_KEY_FILE,
    crate::service::users::INITIAL_ADMIN_PASSWORD_FILE,
];

/// Where the generated secrets of `data_dir` live.
pub fn secrets_dir(data_dir: &Path) -> PathBuf {
    data_dir.join(SECRETS_DIR)
}

/// Creates the data directory (0700) when missing and the secrets directory (always 0700), and
/// moves secrets kept at the top of the data directory by earlier versions into it, so an
/// existing installation keeps its signing key and its sessions.
pub fn prepare(data_dir: &Path) -> anyhow::Result<PathBuf> {
    create_private(data_dir).map_err(|e| {
        anyhow::anyhow!(
            "invalid value for `data_dir`: cannot create {}: {e}",
            data_dir.display()
        )
    })?;
    let secrets = secrets_dir(data_dir);
    create_private(&secrets)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", secrets.display()))?;
    restrict(&secrets)
        .map_err(|e| anyhow::anyhow!("cannot restrict {}: {e}", secrets.display()))?;
    for name in MOVED_SECRETS {
        let old = data_dir.join(name);
        let new = secrets.join(name);
        // Only a regular file is moved: a link placed there is nobody's secret.
        let is_file = std::fs::symlink_metadata(&old).is_ok_and(|m| m.file_type().is_file());
        if is_file && !new.exists() {
            std::fs::rename(&old, &new).map_err(|e| {
                anyhow::anyhow!("cannot move {} to {}: {e}", old.display(), new.display())
            })?;
            tracing::info!(from = %old.display(), to = %new.display(), "moved a secret into the secrets directory");
        }
    }
    Ok(secrets)
}

/// `create_dir_all` whose new directories are 0700.
fn create_private(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

fn restrict(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_data_directory_and_its_secrets_are_private() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        let secrets = prepare(&data).unwrap();
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&secrets), 0o700);
        assert_eq!(secrets, data.join("secrets"));
    }

    #[test]
    fn secrets_of_an_older_layout_are_moved_and_links_are_left_alone() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path();
        std::fs::write(data.join("jwt-signing.key"), "old key\n").unwrap();
        let outside = root.path().join("elsewhere");
        std::fs::write(&outside, "not a secret").unwrap();
        std::os::unix::fs::symlink(&outside, data.join("initial-admin-password")).unwrap();
        let secrets = prepare(data).unwrap();
        assert_eq!(
            std::fs::read_to_string(secrets.join("jwt-signing.key")).unwrap(),
            "old key\n"
        );
        assert!(!data.join("jwt-signing.key").exists());
        assert!(!secrets.join("initial-admin-password").exists());
        // Running again changes nothing.
        prepare(data).unwrap();
        assert_eq!(
            std::fs::read_to_string(secrets.join("jwt-signing.key")).unwrap(),
            "old key\n"
        );
    }
}
