//! Register-level driver for the AM335x D_CAN controller (BeagleBone Black), with a register model of its behaviour
#![no_std]
