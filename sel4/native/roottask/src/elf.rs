//! A bounds-checked reader of the ELF64 program headers the root needs to load a
//! component: static x86_64 executables, PT_LOAD segments only.

pub const PT_LOAD: u32 = 1;
pub const PF_W: u32 = 2;

/// One PT_LOAD segment, checked against the file.
#[derive(Clone, Copy)]
pub struct Segment {
    pub vaddr: usize,
    pub memsz: usize,
    pub offset: usize,
    pub filesz: usize,
    pub flags: u32,
}

pub struct Elf<'a> {
    pub bytes: &'a [u8],
    pub entry: usize,
    phoff: usize,
    phnum: usize,
}

fn u16_at(b: &[u8], at: usize) -> Result<u16, &'static str> {
    let s = b.get(at..at + 2).ok_or("ELF truncated")?;
    Ok(u16::from_le_bytes([s[0], s[1]]))
}
fn u32_at(b: &[u8], at: usize) -> Result<u32, &'static str> {
    let s = b.get(at..at + 4).ok_or("ELF truncated")?;
    Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}
fn u64_at(b: &[u8], at: usize) -> Result<usize, &'static str> {
    let s = b.get(at..at + 8).ok_or("ELF truncated")?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    Ok(u64::from_le_bytes(a) as usize)
}

/// Highest user address + 1 on x86_64 (canonical lower half).
const USER_TOP: usize = 0x0000_8000_0000_0000;

impl<'a> Elf<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<Self, &'static str> {
        if bytes.get(0..4) != Some(b"\x7fELF".as_slice()) {
            return Err("not an ELF file");
        }
        if bytes.get(4) != Some(&2) || bytes.get(5) != Some(&1) {
            return Err("not ELF64 little-endian");
        }
        if u16_at(bytes, 16)? != 2 {
            return Err("not an executable (ET_EXEC)");
        }
        if u16_at(bytes, 18)? != 62 {
            return Err("not x86_64");
        }
        let entry = u64_at(bytes, 24)?;
        let phoff = u64_at(bytes, 32)?;
        if u16_at(bytes, 54)? != 56 {
            return Err("unexpected program header size");
        }
        let phnum = usize::from(u16_at(bytes, 56)?);
        let end = phnum
            .checked_mul(56)
            .and_then(|n| n.checked_add(phoff))
            .ok_or("program headers overflow")?;
        if end > bytes.len() {
            return Err("program headers beyond the file");
        }
        Ok(Elf {
            bytes,
            entry,
            phoff,
            phnum,
        })
    }

    /// Program header `i` if it is a PT_LOAD, checked.
    pub fn load_segment(&self, i: usize) -> Result<Option<Segment>, &'static str> {
        if i >= self.phnum {
            return Ok(None);
        }
        let h = self.phoff + 56 * i;
        if u32_at(self.bytes, h)? != PT_LOAD {
            return Ok(None);
        }
        let s = Segment {
            flags: u32_at(self.bytes, h + 4)?,
            offset: u64_at(self.bytes, h + 8)?,
            vaddr: u64_at(self.bytes, h + 16)?,
            filesz: u64_at(self.bytes, h + 32)?,
            memsz: u64_at(self.bytes, h + 40)?,
        };
        let file_end = s.offset.checked_add(s.filesz).ok_or("segment overflows")?;
        let mem_end = s.vaddr.checked_add(s.memsz).ok_or("segment overflows")?;
        if file_end > self.bytes.len() || s.filesz > s.memsz || mem_end > USER_TOP || s.vaddr == 0 {
            return Err("segment out of bounds");
        }
        Ok(Some(s))
    }

    pub fn phnum(&self) -> usize {
        self.phnum
    }
}
