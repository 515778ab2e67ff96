//! Any bytes as the CAN protocol's records, filters and status reports, as the server
//! and `Kos.CAN` decode them: a record the decoder accepts encodes to bytes that decode
//! to the same record (padding past the data, and an event's id and dlc, are not part
//! of the record: they encode as zero and 8), and nothing panics.
#![no_main]

use kos_can::protocol::{Filter, Record, StatusReport, FILTER_LEN, RECORD_LEN, STATUS_REPORT_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for chunk in data.chunks_exact(RECORD_LEN) {
        let bytes: &[u8; RECORD_LEN] = chunk.try_into().unwrap();
        if let Ok(record) = Record::decode(bytes) {
            assert_eq!(Record::decode(&record.encode()), Ok(record));
        }
    }
    for chunk in data.chunks_exact(FILTER_LEN) {
        let _ = Filter::decode(chunk.try_into().unwrap());
    }
    if let Some(chunk) = data.get(..STATUS_REPORT_LEN) {
        let _ = StatusReport::decode(chunk.try_into().unwrap());
    }
});
