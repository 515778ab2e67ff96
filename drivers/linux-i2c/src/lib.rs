//! I2C through Linux i2c-dev (linux-embedded-hal) for boards running Linux

