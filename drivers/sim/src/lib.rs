//! Simulated buses and devices: an I2C bus with a BME280, a CAN bus shared by several nodes
#![no_std]
