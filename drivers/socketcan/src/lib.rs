//! CAN through Linux SocketCAN (socketcan crate) for boards running Linux

