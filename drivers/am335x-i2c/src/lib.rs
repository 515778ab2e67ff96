//! Register-level driver for the AM335x I2C controller (BeagleBone Black), with a register model of its behaviour
#![no_std]
