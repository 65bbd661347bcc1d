//! The board: DRM/KMS and libinput (Slint's linuxkms backend) with the software renderer.

use crate::app::Kiosk;
use crate::config::Rotation;
use slint::ComponentHandle;

/// Selects DRM/KMS + libinput with the software renderer. The panel rotation is handed to
/// the backend, which rotates both the frame and the touch coordinates.
pub fn select(rotation: Rotation) -> anyhow::Result<()> {
    std::env::set_var("SLINT_KMS_ROTATION", rotation.degrees().to_string());
    slint::BackendSelector::new()
        .backend_name("linuxkms".into())
        .renderer_name("software".into())
        .select()
        .map_err(|e| anyhow::anyhow!("cannot open the display (linuxkms): {e}"))
}

pub fn run(kiosk: &Kiosk) -> anyhow::Result<()> {
    kiosk.window.run()?;
    Ok(())
}
