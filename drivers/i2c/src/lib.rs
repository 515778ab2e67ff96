//! kos_i2c_protocol and the I2C server's service logic: one bus multiplexed over clients, each limited to its addresses
#![no_std]
