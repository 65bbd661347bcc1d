//! The panel's pointer (a finger, a mouse, the boot test's tablet) as the window's events:
//! panel pixels turned into UI coordinates by the panel's rotation. The simulator and the
//! device's display share it.

use crate::config::Rotation;
use slint::platform::{PointerEventButton, WindowEvent};
use slint::LogicalPosition;

pub struct Pointer {
    rotation: Rotation,
    /// The UI's size (the profile's), before rotation.
    size: (u32, u32),
    /// Where the pointer is, in UI coordinates.
    cursor: LogicalPosition,
}

impl Pointer {
    pub fn new(rotation: Rotation, size: (u32, u32)) -> Pointer {
        Pointer {
            rotation,
            size,
            cursor: LogicalPosition::new(0.0, 0.0),
        }
    }

    /// The pointer moved to panel pixel (`x`, `y`).
    pub fn moved(&mut self, x: f64, y: f64) -> WindowEvent {
        let (w, h) = (self.size.0 as f32, self.size.1 as f32);
        let (ux, uy) = self.rotation.touch_to_ui(x as f32, y as f32, w, h);
        self.cursor = LogicalPosition::new(ux, uy);
        WindowEvent::PointerMoved {
            position: self.cursor,
        }
    }

    /// The pointer went down (a finger, the left button) or up, where it is.
    pub fn button(&self, down: bool) -> WindowEvent {
        let (position, button) = (self.cursor, PointerEventButton::Left);
        if down {
            WindowEvent::PointerPressed { position, button }
        } else {
            WindowEvent::PointerReleased { position, button }
        }
    }
}
