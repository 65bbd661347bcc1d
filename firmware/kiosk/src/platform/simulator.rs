//! A desktop window (winit) with the software renderer: the device's pixels on a desktop.

use crate::app::Kiosk;
use slint::ComponentHandle;

/// Selects the winit backend with the software renderer (the device's renderer).
pub fn select() -> anyhow::Result<()> {
    // Pixel for pixel the device: no desktop scaling.
    if std::env::var_os("SLINT_SCALE_FACTOR").is_none() {
        // Safety of set_var: called before any other thread exists.
        std::env::set_var("SLINT_SCALE_FACTOR", "1");
    }
    // No D-Bus: Slint's winit backend asks the desktop portal for the colour scheme, accent
    // and fonts (Bitig uses none of them: its own theme, pre-shaped text), and that query
    // leaves a thread of zbus's `blocking` pool waking every 500 ms for the rest of the
    // run (2 wake-ups a second on an idle screen). An address no transport accepts makes
    // the query fail at once, before any thread starts.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", "disabled:");
    slint::BackendSelector::new()
        .backend_name("winit".into())
        .renderer_name("software".into())
        .select()
        .map_err(|e| anyhow::anyhow!("cannot open the simulator window (winit): {e}"))
}

pub fn run(kiosk: &Kiosk) -> anyhow::Result<()> {
    let (w, h) = kiosk.size();
    kiosk
        .window
        .window()
        .set_size(slint::PhysicalSize::new(w, h));
    kiosk.window.run()?;
    Ok(())
}
