//! kos_can_protocol and the CAN server's service logic: one controller multiplexed over clients with filters and send queues
#![no_std]
